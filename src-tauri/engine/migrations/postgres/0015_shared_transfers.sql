-- Shared mode: transfers through the outbox (issue 7). sb_apply (0010) gains two kinds:
--   'transfer_to_queue'    args {"chat": id, "queue": id}
--   'transfer_to_operator' args {"chat": id, "operator": user id}
-- The rules are the routing core's (src-tauri/engine/src/routing/core.rs, "Transfers"): only the
-- chat's operator transfers it; to a queue, it waits at the back of the line there and is not
-- offered to the sender again; to an operator, they must be Active and below capacity, and it
-- counts as a new chat for them. Described in POSTGRES.md ("Up-sync").

CREATE FUNCTION sb_transfer_to_queue(me TEXT, chat TEXT, queue TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    c chats%ROWTYPE;
    queue_name TEXT;
BEGIN
    SELECT name INTO queue_name FROM queues WHERE id = queue;
    IF queue_name IS NULL THEN
        RAISE EXCEPTION 'There is no queue %.', COALESCE(queue, 'given') USING ERRCODE = 'SB008';
    END IF;
    SELECT * INTO c FROM chats WHERE id = chat FOR UPDATE;
    IF NOT FOUND OR c.state = 'completed' THEN
        RAISE EXCEPTION 'This chat is already completed.' USING ERRCODE = 'SB007';
    ELSIF c.state <> 'active' OR c.operator_id IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'This chat is not yours.' USING ERRCODE = 'SB005';
    END IF;
    -- A routed place at the back of the line (not arrival 0, which would drop `excluded`).
    UPDATE chats SET state = 'queued', operator_id = NULL, offered_at = NULL, queue_id = queue,
        arrival = (SELECT COALESCE(max(arrival), 0) + 1 FROM chats),
        excluded = jsonb_build_array(me)::TEXT
    WHERE id = chat;
    INSERT INTO routing_decisions (id, chat_id, decided_at, kind, candidates, chosen_user_id, reason)
    VALUES (gen_random_uuid()::TEXT, chat, sb_now_ms(), 'transfer', '[]', me,
            format('Transferred to queue %s.', queue_name));
    PERFORM sb_system_line(chat, format('Transferred to queue %s by %s', queue_name,
                                        (SELECT name FROM users WHERE id = me)));
END;
$$;

CREATE FUNCTION sb_transfer_to_operator(me TEXT, chat TEXT, target TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    c chats%ROWTYPE;
    t users%ROWTYPE;
    cap INTEGER;
    theirs INTEGER;
BEGIN
    IF target IS NULL OR target = me THEN
        RAISE EXCEPTION 'Choose another operator.' USING ERRCODE = 'SB008';
    END IF;
    -- The target's row after mine (lock order step 1 takes one row per transaction; a transfer
    -- needs two. Two operators transferring to each other at the same moment may deadlock:
    -- Postgres aborts one, whose outbox delivers it again.)
    SELECT * INTO t FROM users WHERE id = target FOR UPDATE;
    IF NOT FOUND OR t.db_role IS NULL THEN
        RAISE EXCEPTION 'There is no operator %.', target USING ERRCODE = 'SB008';
    END IF;
    SELECT * INTO c FROM chats WHERE id = chat FOR UPDATE;
    IF NOT FOUND OR c.state = 'completed' THEN
        RAISE EXCEPTION 'This chat is already completed.' USING ERRCODE = 'SB007';
    ELSIF c.state <> 'active' OR c.operator_id IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'This chat is not yours.' USING ERRCODE = 'SB005';
    ELSIF t.status <> 'active' THEN
        RAISE EXCEPTION '% is not Active and cannot take chats now.', t.name USING ERRCODE = 'SB006';
    END IF;
    SELECT COALESCE((SELECT value::INTEGER FROM settings WHERE key = 'SimultaneousChats'), 2)
        INTO cap;
    SELECT count(*) INTO theirs FROM chats WHERE operator_id = target AND state = 'active';
    IF theirs >= cap THEN
        RAISE EXCEPTION '% already has % chats, the limit.', t.name, cap USING ERRCODE = 'SB004';
    END IF;
    DELETE FROM chat_offers WHERE chat_id = chat;
    UPDATE chats SET operator_id = target, excluded = '[]' WHERE id = chat;
    UPDATE users SET last_assigned_at = sb_now_ms() WHERE id = target;
    -- An assignment to the target (the history's replay counts it as theirs from here), and the
    -- sender's release.
    INSERT INTO routing_decisions (id, chat_id, decided_at, kind, candidates, chosen_user_id, reason)
    VALUES (gen_random_uuid()::TEXT, chat, sb_now_ms(), 'release', '[]', me,
            format('Transferred to %s.', t.name)),
           (gen_random_uuid()::TEXT, chat, sb_now_ms(), 'assign', '[]', target,
            format('Transferred by %s.', (SELECT name FROM users WHERE id = me)));
    PERFORM sb_system_line(chat, format('Transferred to %s by %s', t.name,
                                        (SELECT name FROM users WHERE id = me)));
END;
$$;

REVOKE ALL ON FUNCTION sb_transfer_to_queue(TEXT, TEXT, TEXT),
    sb_transfer_to_operator(TEXT, TEXT, TEXT) FROM PUBLIC;

-- sb_apply, as in 0010, with the two transfer kinds.
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
                'transfer_to_operator') AND chat_id IS NULL THEN
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
