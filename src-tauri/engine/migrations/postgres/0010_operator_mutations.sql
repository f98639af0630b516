-- Shared mode's up-sync (issue 7): everything an operator does at their desktop goes through a local
-- outbox, each entry with an id the desktop generated, and reaches Postgres through sb_apply. The
-- outbox may deliver an entry more than once (a lost answer, a desktop restarted mid-send), so
-- sb_apply is idempotent: the first delivery applies it and records the outcome, every later one
-- returns that same outcome and changes nothing. Described in POSTGRES.md ("Up-sync").

CREATE TABLE applied_mutations (
    mutation_id TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    applied_at  BIGINT NOT NULL,
    -- {"applied": true} or {"applied": false, "code": "SB005", "message": "…"}
    outcome     JSONB NOT NULL
);
-- A desktop reads its own outcomes after an outage; nobody writes this table but sb_apply.
GRANT SELECT ON applied_mutations TO switchboard_operator;

-- Apply one outbox entry of the calling operator.
--   kind 'accept' | 'decline' | 'complete'  args {"chat": id}
--   kind 'status'                           args {"status": "active" | "inactive"}
--   kind 'send'                             args {"chat": id, "text": "…"}: a reply, stored as
--        a pending outbound message whose id IS the mutation id (the desktop showed it as pending
--        under that id); the desktop that holds the channel's lease sends it.
--   kind 'note'                             args {"chat": id, "text": "…"}: an internal note in a
--        chat of mine.
-- A refusal by the rules (SB002–SB007) is an outcome, recorded and returned, not an error: the
-- outbox marks the entry failed with the message and goes on with the next. Bad input (SB008), a
-- mutation id of another operator's, or a disabled role (SB001) raise, and nothing is recorded.
CREATE FUNCTION sb_apply(mutation TEXT, kind TEXT, args JSONB) RETURNS JSONB
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    -- Locks my users row (lock order step 1): my entries apply one after another, and a
    -- redelivery racing the first delivery waits for it, then finds it recorded.
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
    IF kind IN ('accept', 'decline', 'complete', 'send', 'note') AND chat_id IS NULL THEN
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
                    -- The completion timeout counts from the operator's last answer.
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
        -- The subtransaction rolled back whatever the refused change had begun.
        result := jsonb_build_object('applied', false, 'code', SQLSTATE, 'message', SQLERRM);
    END;
    INSERT INTO applied_mutations (mutation_id, user_id, kind, applied_at, outcome)
    VALUES (mutation, me, kind, sb_now_ms(), result);
    RETURN result;
END;
$$;

REVOKE ALL ON FUNCTION sb_apply(TEXT, TEXT, JSONB) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_apply(TEXT, TEXT, JSONB) TO switchboard_operator;
