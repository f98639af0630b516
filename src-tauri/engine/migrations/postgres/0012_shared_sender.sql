-- Shared mode: replies go out through the desktop that holds the bot's lease (0008). An operator's
-- reply reaches Postgres as a pending outbound message (sb_apply, 0010); the holder's sender takes
-- the due ones, sends them, and records what happened through these functions, each fenced like
-- the offset write: a desktop that lost the lease cannot mark anything. Described in POSTGRES.md
-- ("Sending replies").

-- Raises SB009 unless the caller's role holds the channel's live lease with this token, and keeps
-- the lease row locked (FOR SHARE) until the caller's transaction ends.
CREATE FUNCTION sb_require_lease(channel TEXT, holder TEXT, fencing BIGINT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM FROM connector_leases AS l
    WHERE l.channel_id = channel AND l.holder = sb_require_lease.holder
      AND l.holder_role = session_user AND l.fencing = sb_require_lease.fencing
      AND l.expires_at > sb_now_ms()
    FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This desktop no longer holds the lease of channel %: another one sends its replies now.',
            channel USING ERRCODE = 'SB009';
    END IF;
END;
$$;

-- The channel's replies due now, oldest first.
CREATE FUNCTION sb_due_replies(channel TEXT, holder TEXT, fencing BIGINT, max_count INTEGER)
RETURNS TABLE (message_id TEXT, provider_chat_id TEXT, text TEXT, parts_sent INTEGER,
               attempts INTEGER)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    RETURN QUERY
        SELECT m.id, c.provider_chat_id, m.text, m.parts_sent, m.attempts
        FROM messages m JOIN chats c ON c.id = m.chat_id
        WHERE m.channel_id = channel AND m.kind = 'outbound' AND m.delivery = 'pending'
          AND COALESCE(m.next_attempt_at, 0) <= sb_now_ms()
        ORDER BY m.created_at, m.id
        LIMIT LEAST(GREATEST(max_count, 1), 100);
END;
$$;

-- Parts of a long reply already accepted by Telegram: never sent again.
CREATE FUNCTION sb_reply_progress(channel TEXT, holder TEXT, fencing BIGINT, message TEXT,
                                  parts INTEGER) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    UPDATE messages SET parts_sent = GREATEST(parts_sent, parts)
    WHERE id = message AND channel_id = channel AND delivery = 'pending';
END;
$$;

CREATE FUNCTION sb_reply_sent(channel TEXT, holder TEXT, fencing BIGINT, message TEXT,
                              key TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    UPDATE messages SET delivery = 'sent', provider_key = key, failure_reason = NULL,
                        next_attempt_at = NULL
    WHERE id = message AND channel_id = channel AND delivery = 'pending';
END;
$$;

-- Not now: stays pending, due again after delay_ms, with the reason shown meanwhile.
CREATE FUNCTION sb_reply_retry(channel TEXT, holder TEXT, fencing BIGINT, message TEXT,
                               delay_ms BIGINT, reason TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    UPDATE messages SET attempts = attempts + 1, failure_reason = reason,
                        next_attempt_at = sb_now_ms() + GREATEST(delay_ms, 0)
    WHERE id = message AND channel_id = channel AND delivery = 'pending';
END;
$$;

-- Never: Telegram refused this reply (the customer blocked the bot, a bad request).
CREATE FUNCTION sb_reply_failed(channel TEXT, holder TEXT, fencing BIGINT, message TEXT,
                                reason TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    UPDATE messages SET delivery = 'failed', failure_reason = reason, attempts = attempts + 1,
                        next_attempt_at = NULL
    WHERE id = message AND channel_id = channel AND delivery = 'pending';
END;
$$;

REVOKE ALL ON FUNCTION sb_require_lease(TEXT, TEXT, BIGINT),
    sb_due_replies(TEXT, TEXT, BIGINT, INTEGER),
    sb_reply_progress(TEXT, TEXT, BIGINT, TEXT, INTEGER),
    sb_reply_sent(TEXT, TEXT, BIGINT, TEXT, TEXT),
    sb_reply_retry(TEXT, TEXT, BIGINT, TEXT, BIGINT, TEXT),
    sb_reply_failed(TEXT, TEXT, BIGINT, TEXT, TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_due_replies(TEXT, TEXT, BIGINT, INTEGER),
    sb_reply_progress(TEXT, TEXT, BIGINT, TEXT, INTEGER),
    sb_reply_sent(TEXT, TEXT, BIGINT, TEXT, TEXT),
    sb_reply_retry(TEXT, TEXT, BIGINT, TEXT, BIGINT, TEXT),
    sb_reply_failed(TEXT, TEXT, BIGINT, TEXT, TEXT) TO switchboard_operator;
