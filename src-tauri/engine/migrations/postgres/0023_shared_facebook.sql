-- Shared mode: a Messenger conversation's thread control (the Handover Protocol). Described in
-- POSTGRES.md ("Messenger in shared mode", "Thread control").
--
-- Taking a conversation from a bot ("Take over") and giving it back to Page Inbox ("Give back")
-- are Graph calls with the page token, which only the desktops holding it have (in their
-- keychains), and only the page's lease holder (0008) works for the page. So an operator's
-- request goes through the outbox like every other action (sb_apply kinds 'take_thread' and
-- 'pass_thread', checked by the rules below and recorded in messenger_thread_requests); the lease
-- holder takes the due requests, makes the Graph call and records the outcome with the fenced
-- functions below, which change the chat: a taken conversation leaves the bot and waits for
-- routing (the relay's router offers it), a given-back one is completed. Operators still write
-- nothing directly.

-- Requests waiting for the page's lease holder. Not in the change feed (the chat's state and its
-- system lines show the outcome); no grant: the functions read it.
CREATE TABLE messenger_thread_requests (
    -- The outbox entry's id (the mutation id).
    id              TEXT PRIMARY KEY,
    chat_id         TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    -- 'take': take thread control from the bot; 'pass': pass it to Page Inbox.
    kind            TEXT NOT NULL CHECK (kind IN ('take', 'pass')),
    requested_by    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    requested_at    BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX messenger_thread_requests_due ON messenger_thread_requests (channel_id, next_attempt_at);

-- Whether the user operates the queue: named in it, or holding one of its roles.
CREATE FUNCTION sb_operates_queue(who TEXT, queue TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT EXISTS (SELECT FROM queue_operators qo WHERE qo.queue_id = queue AND qo.user_id = who)
        OR EXISTS (SELECT FROM queue_roles qr JOIN user_roles ur ON ur.role_id = qr.role_id
                   WHERE qr.queue_id = queue AND ur.user_id = who)
$$;

-- An operator's request (from sb_apply, which has locked the caller's users row: lock order step
-- 1; the chat is step 2). 'take': a conversation a bot holds, by an operator of the chat's queue.
-- 'pass': my own active Messenger chat. A second request of the same kind for a chat that already
-- has one waiting changes nothing.
CREATE FUNCTION sb_request_thread(me TEXT, mutation TEXT, kind TEXT, chat TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    c chats%ROWTYPE;
BEGIN
    SELECT * INTO c FROM chats WHERE id = chat FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no chat %.', chat USING ERRCODE = 'SB007';
    ELSIF (SELECT provider FROM channels WHERE id = c.channel_id) <> 'messenger' THEN
        RAISE EXCEPTION 'Only Messenger conversations have a thread to take or give back.'
            USING ERRCODE = 'SB008';
    ELSIF c.state = 'completed' THEN
        RAISE EXCEPTION 'This chat is already completed.' USING ERRCODE = 'SB007';
    END IF;
    IF kind = 'take' THEN
        IF c.state <> 'bot' THEN
            RAISE EXCEPTION 'A bot no longer handles this conversation.' USING ERRCODE = 'SB003';
        ELSIF NOT sb_operates_queue(me, c.queue_id) THEN
            RAISE EXCEPTION 'Only an operator of this chat''s queue can take it over from the bot.'
                USING ERRCODE = 'SB005';
        END IF;
    ELSIF c.state <> 'active' OR c.operator_id IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'This chat is not yours.' USING ERRCODE = 'SB005';
    END IF;
    IF EXISTS (SELECT FROM messenger_thread_requests r
               WHERE r.chat_id = chat AND r.kind = sb_request_thread.kind) THEN
        RETURN;
    END IF;
    INSERT INTO messenger_thread_requests (id, chat_id, channel_id, kind, requested_by, requested_at)
    VALUES (mutation, chat, c.channel_id, kind, me, sb_now_ms());
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- The page's lease holder. Fenced like 0012's (SB009 unless the caller's role holds the page's
-- live lease with that token).

-- The page's requests due now, oldest first, with the customer's PSID and the chat's state.
CREATE FUNCTION sb_messenger_thread_requests(channel TEXT, holder TEXT, fencing BIGINT,
                                             max_count INTEGER)
RETURNS TABLE (request_id TEXT, chat_id TEXT, psid TEXT, kind TEXT, chat_state TEXT,
               attempts INTEGER)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    RETURN QUERY
        SELECT r.id, r.chat_id, c.provider_chat_id, r.kind, c.state, r.attempts
        FROM messenger_thread_requests r JOIN chats c ON c.id = r.chat_id
        WHERE r.channel_id = channel AND r.next_attempt_at <= sb_now_ms()
        ORDER BY r.requested_at, r.id
        LIMIT LEAST(GREATEST(max_count, 1), 100);
END;
$$;

-- Meta did it. 'take': the conversation, if a bot still holds it, leaves the bot and waits for
-- routing (arrival 0: the router's next pass gives it its place in line). 'pass': the chat is
-- completed (unless it already is), as the standalone "Give back" does.
CREATE FUNCTION sb_messenger_thread_done(channel TEXT, holder TEXT, fencing BIGINT, request TEXT)
RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    r messenger_thread_requests%ROWTYPE;
    c chats%ROWTYPE;
    who TEXT;
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    SELECT * INTO r FROM messenger_thread_requests
    WHERE id = request AND channel_id = channel;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO c FROM chats WHERE id = r.chat_id FOR UPDATE;
    DELETE FROM messenger_thread_requests WHERE id = request;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    who := (SELECT name FROM users WHERE id = r.requested_by);
    IF r.kind = 'take' AND c.state = 'bot' THEN
        UPDATE chats SET state = 'queued', last_activity_at = GREATEST(last_activity_at, sb_now_ms())
        WHERE id = c.id;
        PERFORM sb_system_line(c.id, format('Conversation taken over from the bot by %s', who));
    ELSIF r.kind = 'pass' AND c.state <> 'completed' THEN
        DELETE FROM chat_offers WHERE chat_id = c.id;
        UPDATE chats SET state = 'completed', operator_id = NULL, offered_at = NULL,
                         excluded = '[]', completed_at = sb_now_ms()
        WHERE id = c.id;
        INSERT INTO routing_decisions (id, chat_id, decided_at, kind, candidates, chosen_user_id,
                                       reason)
        VALUES (gen_random_uuid()::TEXT, c.id, sb_now_ms(), 'complete', '[]', r.requested_by,
                format('Given back to Page Inbox by %s.', who));
        PERFORM sb_system_line(c.id, format('Conversation given back to Page Inbox by %s', who));
    END IF;
END;
$$;

-- Not now (Meta or the network is down, a rate limit): due again after delay_ms.
CREATE FUNCTION sb_messenger_thread_retry(channel TEXT, holder TEXT, fencing BIGINT, request TEXT,
                                          delay_ms BIGINT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    UPDATE messenger_thread_requests r
    SET attempts = r.attempts + 1, next_attempt_at = sb_now_ms() + GREATEST(delay_ms, 0)
    WHERE r.id = request AND r.channel_id = channel;
END;
$$;

-- Never: Meta refused, or the retries ran out. The request goes, and the chat says why in a
-- system line (every desktop shows it); the chat stays as it was.
CREATE FUNCTION sb_messenger_thread_failed(channel TEXT, holder TEXT, fencing BIGINT,
                                           request TEXT, reason TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    r messenger_thread_requests%ROWTYPE;
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    DELETE FROM messenger_thread_requests
    WHERE id = request AND channel_id = channel
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM sb_system_line(r.chat_id, format(
        CASE r.kind WHEN 'take' THEN 'The conversation could not be taken from the bot: %s'
                    ELSE 'The conversation could not be given back to Page Inbox: %s' END,
        left(COALESCE(NULLIF(btrim(reason), ''), 'Facebook refused.'), 500)));
END;
$$;

REVOKE ALL ON FUNCTION sb_operates_queue(TEXT, TEXT),
    sb_request_thread(TEXT, TEXT, TEXT, TEXT),
    sb_messenger_thread_requests(TEXT, TEXT, BIGINT, INTEGER),
    sb_messenger_thread_done(TEXT, TEXT, BIGINT, TEXT),
    sb_messenger_thread_retry(TEXT, TEXT, BIGINT, TEXT, BIGINT),
    sb_messenger_thread_failed(TEXT, TEXT, BIGINT, TEXT, TEXT) FROM PUBLIC;
-- The lease holder's functions (fenced inside). sb_request_thread and sb_operates_queue are
-- called only by sb_apply, which runs as their owner.
GRANT EXECUTE ON FUNCTION sb_messenger_thread_requests(TEXT, TEXT, BIGINT, INTEGER),
    sb_messenger_thread_done(TEXT, TEXT, BIGINT, TEXT),
    sb_messenger_thread_retry(TEXT, TEXT, BIGINT, TEXT, BIGINT),
    sb_messenger_thread_failed(TEXT, TEXT, BIGINT, TEXT, TEXT) TO switchboard_operator;

-- sb_apply, as in 0019, with the two thread kinds:
--   'take_thread' args {"chat": id}: take a conversation from the bot (an operator of its queue)
--   'pass_thread' args {"chat": id}: give my active Messenger chat back to Page Inbox
CREATE OR REPLACE FUNCTION sb_apply(mutation TEXT, kind TEXT, args JSONB) RETURNS JSONB
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me TEXT := sb_lock_me();
    done applied_mutations%ROWTYPE;
    result JSONB := '{"applied": true}';
    chat_id TEXT := args->>'chat';
    body TEXT := args->>'text';
    c chats%ROWTYPE;
BEGIN
    IF mutation IS NULL OR mutation !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RAISE EXCEPTION 'A change needs the id its desktop gave it (a UUID).' USING ERRCODE = 'SB008';
    END IF;
    SELECT * INTO done FROM applied_mutations WHERE mutation_id = mutation;
    IF FOUND THEN
        IF done.user_id <> me OR done.kind <> sb_apply.kind THEN
            RAISE EXCEPTION 'Change % belongs to someone else.', mutation USING ERRCODE = 'SB008';
        END IF;
        RETURN done.outcome || '{"replayed": true}';
    END IF;
    IF kind IN ('accept', 'decline', 'complete', 'send', 'note', 'transfer_to_queue',
                'transfer_to_operator', 'send_file', 'retry_send', 'retry_file', 'take_thread',
                'pass_thread')
       AND chat_id IS NULL THEN
        RAISE EXCEPTION 'This change does not say which chat.' USING ERRCODE = 'SB008';
    END IF;
    IF kind IN ('send', 'note') AND (body IS NULL OR btrim(body) = '') THEN
        RAISE EXCEPTION 'An empty message cannot be sent.' USING ERRCODE = 'SB008';
    END IF;
    IF kind IN ('send', 'note') AND length(body) > 20000 THEN
        RAISE EXCEPTION 'A message is at most 20,000 characters.' USING ERRCODE = 'SB008';
    END IF;

    BEGIN
        CASE kind
            WHEN 'accept' THEN PERFORM sb_accept_chat(chat_id);
            WHEN 'decline' THEN PERFORM sb_decline_chat(chat_id);
            WHEN 'complete' THEN PERFORM sb_complete_chat(chat_id);
            WHEN 'status' THEN PERFORM sb_set_status(args->>'status');
            WHEN 'transfer_to_queue' THEN PERFORM sb_transfer_to_queue(me, chat_id, args->>'queue');
            WHEN 'transfer_to_operator' THEN
                PERFORM sb_transfer_to_operator(me, chat_id, args->>'operator');
            WHEN 'send_file' THEN PERFORM sb_send_file(me, mutation, args);
            WHEN 'retry_send' THEN PERFORM sb_retry_send(me, args);
            WHEN 'retry_file' THEN PERFORM sb_retry_file(args);
            WHEN 'take_thread' THEN PERFORM sb_request_thread(me, mutation, 'take', chat_id);
            WHEN 'pass_thread' THEN PERFORM sb_request_thread(me, mutation, 'pass', chat_id);
            WHEN 'send', 'note' THEN
                SELECT * INTO c FROM chats WHERE id = chat_id FOR UPDATE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'There is no chat %.', chat_id USING ERRCODE = 'SB007';
                ELSIF c.state <> 'active' OR c.operator_id IS DISTINCT FROM me THEN
                    RAISE EXCEPTION 'You can write only in a chat that is assigned to you and not completed.'
                        USING ERRCODE = 'SB005';
                END IF;
                INSERT INTO messages (id, chat_id, channel_id, kind, text, author, author_user_id,
                                      created_at, delivery, next_attempt_at)
                VALUES (mutation, chat_id, c.channel_id,
                        CASE kind WHEN 'send' THEN 'outbound' ELSE 'note' END, body,
                        (SELECT name FROM users WHERE id = me), me, sb_now_ms(),
                        CASE kind WHEN 'send' THEN 'pending' END,
                        CASE kind WHEN 'send' THEN sb_now_ms() END);
                IF kind = 'send' THEN
                    UPDATE chats SET last_message_at = sb_now_ms(), last_message_outbound = TRUE,
                                     last_activity_at = sb_now_ms()
                    WHERE id = chat_id;
                END IF;
            ELSE
                RAISE EXCEPTION 'Unknown change %.', COALESCE(kind, 'without a kind')
                    USING ERRCODE = 'SB008';
        END CASE;
    EXCEPTION WHEN SQLSTATE 'SB002' OR SQLSTATE 'SB003' OR SQLSTATE 'SB004' OR SQLSTATE 'SB005'
                OR SQLSTATE 'SB006' OR SQLSTATE 'SB007' THEN
        result := jsonb_build_object('applied', false, 'code', SQLSTATE, 'message', SQLERRM);
    END;
    INSERT INTO applied_mutations (mutation_id, user_id, kind, applied_at, outcome)
    VALUES (mutation, me, kind, sb_now_ms(), result);
    RETURN result;
END;
$$;
