-- Shared mode: a customer's edit replaces the stored text, as in standalone mode (the message
-- shows "edited"). Until now sb_ingest_telegram skipped every update whose key was already
-- stored, edits included.
--
-- The function of 0019 is kept as it is, under another name, for what it does: check the lease,
-- store the fenced offset, validate the batch, store new messages (and their files) once. The new
-- sb_ingest_telegram calls it, then applies the batch's edits in one statement: the newest edit
-- of each message, only if it is newer than what is stored (Telegram may deliver an edit twice,
-- and an edit of a message sent before the bot's first poll arrives on its own: it is stored by
-- the first step as a new message, then marked edited here).
ALTER FUNCTION sb_ingest_telegram(TEXT, TEXT, BIGINT, BIGINT, JSONB)
    RENAME TO sb_ingest_telegram_messages;
REVOKE ALL ON FUNCTION sb_ingest_telegram_messages(TEXT, TEXT, BIGINT, BIGINT, JSONB)
    FROM PUBLIC, switchboard_operator;

-- Each element of `updates` may carry `edited_at` (ms): that update is an edit of message `key`.
CREATE FUNCTION sb_ingest_telegram(channel TEXT, holder TEXT, fencing BIGINT,
                                   next_offset BIGINT, updates JSONB) RETURNS INTEGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    stored INTEGER;
    edited INTEGER;
BEGIN
    stored := sb_ingest_telegram_messages(channel, holder, fencing, next_offset, updates);
    IF EXISTS (SELECT FROM jsonb_array_elements(updates) AS u
               WHERE u ? 'edited_at' AND jsonb_typeof(u->'edited_at') NOT IN ('number', 'null')) THEN
        RAISE EXCEPTION 'An edit in the batch has no valid time.' USING ERRCODE = 'SB008';
    END IF;
    UPDATE messages AS m SET text = e.text, edited_at = e.edited_at
    FROM (SELECT DISTINCT ON (u->>'key') u->>'key' AS key, u->>'text' AS text,
                 (u->>'edited_at')::BIGINT AS edited_at
          FROM jsonb_array_elements(updates) AS u
          WHERE jsonb_typeof(u->'edited_at') = 'number'
          ORDER BY u->>'key', (u->>'edited_at')::BIGINT DESC) AS e
    WHERE m.channel_id = channel AND m.provider_key = e.key AND m.kind = 'inbound'
      AND COALESCE(m.edited_at, 0) < e.edited_at;
    GET DIAGNOSTICS edited = ROW_COUNT;
    RETURN stored + edited;
END;
$$;

REVOKE ALL ON FUNCTION sb_ingest_telegram(TEXT, TEXT, BIGINT, BIGINT, JSONB) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_ingest_telegram(TEXT, TEXT, BIGINT, BIGINT, JSONB)
    TO switchboard_operator;
