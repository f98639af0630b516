-- Shared mode: files both ways (issue 7). Until now a customer's photo polled in shared mode was
-- stored as an empty message, and operators could not send files. Described in POSTGRES.md
-- ("Files").
--
-- In: sb_ingest_telegram (0011) records a message's file as a `pending` attachment; the desktop
-- holding the bot's lease downloads it (getFile) and stores the bytes with sb_file_fetched, or
-- records a failed try with sb_file_fetch_failed — both fenced like the offset (SB009 unless the
-- caller's role holds the live lease with that token), so a desktop that lost the lease stores
-- nothing. "Download again" is an outbox entry (sb_apply 'retry_file').
-- Out: an operator's file is an outbox entry (sb_apply 'send_file') carrying the bytes; it becomes
-- a pending outbound message with a stored attachment, both under the entry's id, and the lease
-- holder's sender uploads it (sb_due_outbound, sb_reply_file). "Send again" of a failed message is
-- 'retry_send'.

-- ---------------------------------------------------------------------------------------------
-- In: a polled batch, now with each message's file.
-- updates: a JSON array of the batch's customer messages, oldest first:
--   {"key": "<chat id>/<message id>", "user": "<sender id>", "name": "…", "username": "…" | null,
--    "chat": "<chat id to answer in>", "text": "…", "at": <ms>,
--    "file": null | {"kind": "photo" | "document" | "voice" | "sticker", "file_id": "…",
--                    "name": "…" | null, "mime": "…" | null, "size": <bytes> | null}}
-- Returns how many messages were new. As 0011, plus the file.
CREATE OR REPLACE FUNCTION sb_ingest_telegram(channel TEXT, holder TEXT, fencing BIGINT,
                                              next_offset BIGINT, updates JSONB) RETURNS INTEGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    ch channels%ROWTYPE;
    u JSONB;
    f JSONB;
    contact TEXT;
    chat TEXT;
    message TEXT;
    at BIGINT;
    stored INTEGER := 0;
BEGIN
    PERFORM sb_store_telegram_offset(channel, holder, fencing, next_offset);
    SELECT * INTO ch FROM channels WHERE id = channel;
    IF NOT FOUND OR ch.provider <> 'telegram' THEN
        RAISE EXCEPTION 'There is no Telegram channel %.', channel USING ERRCODE = 'SB008';
    END IF;
    IF jsonb_typeof(updates) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'The batch is a JSON array of messages.' USING ERRCODE = 'SB008';
    END IF;
    FOR u IN SELECT value FROM jsonb_array_elements(updates) LOOP
        IF COALESCE(u->>'key', '') = '' OR COALESCE(u->>'user', '') = ''
           OR COALESCE(u->>'chat', '') = '' OR jsonb_typeof(u->'text') IS DISTINCT FROM 'string'
           OR jsonb_typeof(u->'at') IS DISTINCT FROM 'number' THEN
            RAISE EXCEPTION 'A message in the batch lacks its key, sender, chat, text or time: %', u
                USING ERRCODE = 'SB008';
        END IF;
        f := NULLIF(u->'file', 'null'::JSONB);
        IF f IS NOT NULL AND (jsonb_typeof(f) <> 'object'
           OR COALESCE(f->>'kind', '') NOT IN ('photo', 'document', 'voice', 'sticker')
           OR COALESCE(f->>'file_id', '') = ''
           OR (f ? 'size' AND jsonb_typeof(f->'size') NOT IN ('number', 'null'))) THEN
            RAISE EXCEPTION 'A file in the batch lacks its kind or file id: %', f
                USING ERRCODE = 'SB008';
        END IF;
        CONTINUE WHEN EXISTS (SELECT FROM messages
                              WHERE channel_id = channel AND provider_key = u->>'key');
        at := (u->>'at')::BIGINT;
        INSERT INTO contacts AS c (id, channel_id, provider_user_id, name, username, created_at)
        VALUES (gen_random_uuid()::TEXT, channel, u->>'user', COALESCE(NULLIF(u->>'name', ''), 'Customer'),
                u->>'username', at)
        ON CONFLICT (channel_id, provider_user_id) DO UPDATE
            SET name = EXCLUDED.name, username = EXCLUDED.username
        RETURNING c.id INTO contact;
        SELECT id INTO chat FROM chats
        WHERE channel_id = channel AND contact_id = contact AND state <> 'completed'
        FOR UPDATE;
        IF NOT FOUND THEN
            chat := gen_random_uuid()::TEXT;
            INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                               created_at, last_activity_at, last_message_at)
            VALUES (chat, channel, contact, ch.queue_id, 'queued', u->>'chat', at, at, at);
        END IF;
        message := gen_random_uuid()::TEXT;
        INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
        VALUES (message, chat, channel, 'inbound', u->>'text',
                COALESCE(NULLIF(u->>'name', ''), 'Customer'), at, u->>'key');
        IF f IS NOT NULL THEN
            -- Pending until the lease holder has downloaded it (sb_file_fetched).
            INSERT INTO attachments (id, message_id, channel_id, kind, file_name, mime_type, size,
                                     provider_file_id, state, created_at)
            VALUES (gen_random_uuid()::TEXT, message, channel, f->>'kind', left(f->>'name', 255),
                    left(f->>'mime', 100), (f->>'size')::BIGINT, f->>'file_id', 'pending', at);
        END IF;
        UPDATE chats SET last_message_at = GREATEST(last_message_at, at),
                         last_activity_at = GREATEST(last_activity_at, at),
                         last_message_outbound = FALSE
        WHERE id = chat;
        stored := stored + 1;
    END LOOP;
    RETURN stored;
END;
$$;

-- The channel's customer files whose download is due, oldest first.
CREATE FUNCTION sb_files_to_fetch(channel TEXT, holder TEXT, fencing BIGINT, max_count INTEGER)
RETURNS TABLE (attachment_id TEXT, chat_id TEXT, provider_file_id TEXT, attempts INTEGER)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    RETURN QUERY
        SELECT a.id, m.chat_id, a.provider_file_id, a.attempts
        FROM attachments a JOIN messages m ON m.id = a.message_id
        WHERE a.channel_id = channel AND a.state = 'pending' AND a.provider_file_id IS NOT NULL
          AND COALESCE(a.next_attempt_at, 0) <= sb_now_ms()
        ORDER BY a.created_at, a.id
        LIMIT LEAST(GREATEST(max_count, 1), 100);
END;
$$;

-- The bytes of a customer's file arrived. `mime` fills in what Telegram did not say. FALSE when
-- the file was no longer waiting (stored already, or given up meanwhile).
CREATE FUNCTION sb_file_fetched(channel TEXT, holder TEXT, fencing BIGINT, attachment TEXT,
                                content BYTEA, mime TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    -- Telegram lets bots download at most 20 MB (the standalone fetcher's cap).
    IF content IS NULL OR octet_length(content) > 20 * 1024 * 1024 THEN
        RAISE EXCEPTION 'A downloaded file is between 0 and 20 MB.' USING ERRCODE = 'SB008';
    END IF;
    UPDATE attachments AS a
    SET state = 'stored', content = sb_file_fetched.content,
        size = octet_length(sb_file_fetched.content),
        mime_type = COALESCE(a.mime_type, left(mime, 100)), failure_reason = NULL,
        next_attempt_at = NULL, attempts = a.attempts + 1
    WHERE a.id = attachment AND a.channel_id = channel AND a.state = 'pending'
      AND a.provider_file_id IS NOT NULL;
    RETURN FOUND;
END;
$$;

-- A download failed: due again after delay_ms, or given up (delay_ms NULL) with the reason shown
-- on the message.
CREATE FUNCTION sb_file_fetch_failed(channel TEXT, holder TEXT, fencing BIGINT, attachment TEXT,
                                     reason TEXT, delay_ms BIGINT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    UPDATE attachments AS a
    SET attempts = a.attempts + 1, failure_reason = left(reason, 1000),
        next_attempt_at = CASE WHEN delay_ms IS NULL THEN NULL
                               ELSE sb_now_ms() + GREATEST(delay_ms, 0) END,
        state = CASE WHEN delay_ms IS NULL THEN 'failed' ELSE 'pending' END
    WHERE a.id = attachment AND a.channel_id = channel AND a.state = 'pending'
      AND a.provider_file_id IS NOT NULL;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Out: the sender's list, now with each reply's file (a message carries at most one).
CREATE FUNCTION sb_due_outbound(channel TEXT, holder TEXT, fencing BIGINT, max_count INTEGER)
RETURNS TABLE (message_id TEXT, provider_chat_id TEXT, text TEXT, parts_sent INTEGER,
               attempts INTEGER, attachment_id TEXT, attachment_kind TEXT, file_name TEXT,
               mime_type TEXT)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    RETURN QUERY
        SELECT m.id, c.provider_chat_id, m.text, m.parts_sent, m.attempts, f.id, f.kind,
               f.file_name, f.mime_type
        FROM messages m JOIN chats c ON c.id = m.chat_id
        LEFT JOIN LATERAL (SELECT a.id, a.kind, a.file_name, a.mime_type FROM attachments a
                           WHERE a.message_id = m.id ORDER BY a.created_at, a.id LIMIT 1) f ON TRUE
        WHERE m.channel_id = channel AND m.kind = 'outbound' AND m.delivery = 'pending'
          AND COALESCE(m.next_attempt_at, 0) <= sb_now_ms()
        ORDER BY m.created_at, m.id
        LIMIT LEAST(GREATEST(max_count, 1), 100);
END;
$$;

-- sb_due_replies (0012), without replies that carry a file: a desktop of an older build would
-- send such a reply's caption as a text. Those wait for a holder that sends files.
CREATE OR REPLACE FUNCTION sb_due_replies(channel TEXT, holder TEXT, fencing BIGINT,
                                          max_count INTEGER)
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
          AND NOT EXISTS (SELECT FROM attachments a WHERE a.message_id = m.id)
        ORDER BY m.created_at, m.id
        LIMIT LEAST(GREATEST(max_count, 1), 100);
END;
$$;

-- The bytes of a file an operator sends, for the upload: only of a pending reply of this channel.
CREATE FUNCTION sb_reply_file(channel TEXT, holder TEXT, fencing BIGINT, attachment TEXT)
RETURNS BYTEA
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    bytes BYTEA;
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    SELECT a.content INTO bytes
    FROM attachments a JOIN messages m ON m.id = a.message_id
    WHERE a.id = attachment AND a.channel_id = channel AND m.kind = 'outbound'
      AND m.delivery = 'pending';
    RETURN bytes;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- The operator's side, through sb_apply. `me` is the caller, whose users row sb_apply locked.

-- 'send_file' args {"chat": id, "text": caption, "file": {"kind": "photo" | "document",
--   "name": "…", "mime": "…" | null, "content": "<base64>"}}: a pending outbound message and its
-- stored attachment, both with the mutation's id (the desktop shows them under it at once), only
-- in my own active chat. The standalone store's limits (engine store/outbox.rs): a name of 1–255
-- bytes without control characters, not empty, photos (JPEG, PNG, WebP) up to 10 MB and other
-- files up to 50 MB (Telegram's limits for bots' uploads), a caption of at most 1024 characters.
CREATE FUNCTION sb_send_file(me TEXT, mutation TEXT, args JSONB) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    chat_id TEXT := args->>'chat';
    caption TEXT := COALESCE(args->>'text', '');
    f JSONB := args->'file';
    file_kind TEXT := args->'file'->>'kind';
    name TEXT := btrim(args->'file'->>'name');
    mime TEXT := args->'file'->>'mime';
    bytes BYTEA;
    size_limit BIGINT;
    c chats%ROWTYPE;
BEGIN
    IF jsonb_typeof(f) IS DISTINCT FROM 'object' OR jsonb_typeof(f->'content') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'This change carries no file.' USING ERRCODE = 'SB008';
    END IF;
    IF file_kind IS NULL OR file_kind NOT IN ('photo', 'document') THEN
        RAISE EXCEPTION 'Only photos and documents can be sent.' USING ERRCODE = 'SB008';
    END IF;
    IF name IS NULL OR name = '' OR octet_length(name) > 255 OR name ~ '[\x01-\x1f\x7f-\x9f]' THEN
        RAISE EXCEPTION 'The file needs a name of at most 255 characters, without control characters.'
            USING ERRCODE = 'SB008';
    END IF;
    IF length(caption) > 1024 THEN
        RAISE EXCEPTION 'A file''s caption can be at most 1024 characters long.'
            USING ERRCODE = 'SB008';
    END IF;
    BEGIN
        bytes := decode(f->>'content', 'base64');
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'The file could not be read.' USING ERRCODE = 'SB008';
    END;
    IF octet_length(bytes) = 0 THEN
        RAISE EXCEPTION '% is empty.', name USING ERRCODE = 'SB008';
    END IF;
    size_limit := CASE file_kind WHEN 'photo' THEN 10 ELSE 50 END * 1024 * 1024;
    IF octet_length(bytes) > size_limit THEN
        RAISE EXCEPTION '% is % MB; Telegram accepts at most % MB for a %.', name,
            ceil(octet_length(bytes) / 1048576.0)::BIGINT, size_limit / 1048576,
            CASE file_kind WHEN 'photo' THEN 'photo' ELSE 'file' END
            USING ERRCODE = 'SB008';
    END IF;
    IF file_kind = 'photo' AND NOT (
           substring(bytes FROM 1 FOR 8) = '\x89504e470d0a1a0a'::BYTEA
           OR substring(bytes FROM 1 FOR 3) = '\xffd8ff'::BYTEA
           OR (substring(bytes FROM 1 FOR 4) = '\x52494646'::BYTEA
               AND substring(bytes FROM 9 FOR 4) = '\x57454250'::BYTEA)) THEN
        RAISE EXCEPTION 'Telegram shows only JPEG, PNG and WebP pictures as photos. Send this file as a document.'
            USING ERRCODE = 'SB008';
    END IF;
    IF mime IS NOT NULL AND (length(mime) > 100 OR position('/' IN mime) = 0 OR mime !~ '^[ -~]+$') THEN
        mime := NULL;
    END IF;

    SELECT * INTO c FROM chats WHERE id = chat_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no chat %.', chat_id USING ERRCODE = 'SB007';
    ELSIF c.state <> 'active' OR c.operator_id IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'You can write only in a chat that is assigned to you and not completed.'
            USING ERRCODE = 'SB005';
    END IF;
    INSERT INTO messages (id, chat_id, channel_id, kind, text, author, author_user_id, created_at,
                          delivery, next_attempt_at)
    VALUES (mutation, chat_id, c.channel_id, 'outbound', caption,
            (SELECT u.name FROM users u WHERE u.id = me), me, sb_now_ms(), 'pending', sb_now_ms());
    INSERT INTO attachments (id, message_id, channel_id, kind, file_name, mime_type, size, state,
                             content, created_at)
    VALUES (mutation, mutation, c.channel_id, file_kind, name, mime, octet_length(bytes), 'stored',
            bytes, sb_now_ms());
    -- The completion timeout counts from the operator's last answer.
    UPDATE chats SET last_message_at = sb_now_ms(), last_message_outbound = TRUE,
                     last_activity_at = sb_now_ms()
    WHERE id = chat_id;
END;
$$;

-- 'retry_send' args {"chat": id, "message": id}: "Send again" on a failed message of mine (as the
-- standalone store: only its author; a pending one is already queued and stays so).
CREATE FUNCTION sb_retry_send(me TEXT, args JSONB) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m messages%ROWTYPE;
BEGIN
    IF args->>'message' IS NULL THEN
        RAISE EXCEPTION 'This change does not say which message.' USING ERRCODE = 'SB008';
    END IF;
    SELECT * INTO m FROM messages WHERE id = args->>'message' FOR UPDATE;
    IF NOT FOUND OR m.kind <> 'outbound' OR m.chat_id IS DISTINCT FROM args->>'chat' THEN
        RAISE EXCEPTION 'There is no such message of yours to send again.' USING ERRCODE = 'SB007';
    ELSIF m.author_user_id IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'Only the operator who wrote a message can send it again.'
            USING ERRCODE = 'SB005';
    ELSIF m.delivery = 'sent' THEN
        RAISE EXCEPTION 'Only a message that failed to send can be sent again.'
            USING ERRCODE = 'SB007';
    ELSIF m.delivery = 'failed' THEN
        UPDATE messages SET delivery = 'pending', next_attempt_at = sb_now_ms(),
                            failure_reason = NULL
        WHERE id = m.id;
    END IF;
END;
$$;

-- 'retry_file' args {"chat": id, "attachment": id}: "Download again" on a customer's file that
-- could not be downloaded; any operator may ask (it only fetches the customer's own file again).
-- The lease holder's fetcher takes it at its next look. A file that is pending or stored is left
-- as it is.
CREATE FUNCTION sb_retry_file(args JSONB) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    a attachments%ROWTYPE;
BEGIN
    IF args->>'attachment' IS NULL THEN
        RAISE EXCEPTION 'This change does not say which file.' USING ERRCODE = 'SB008';
    END IF;
    SELECT * INTO a FROM attachments WHERE id = args->>'attachment' FOR UPDATE;
    IF NOT FOUND OR a.provider_file_id IS NULL
       OR (SELECT chat_id FROM messages WHERE id = a.message_id) IS DISTINCT FROM args->>'chat' THEN
        RAISE EXCEPTION 'There is no such customer''s file to download again.'
            USING ERRCODE = 'SB007';
    END IF;
    IF a.state = 'failed' THEN
        UPDATE attachments SET state = 'pending', attempts = 0, next_attempt_at = NULL
        WHERE id = a.id;
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION sb_files_to_fetch(TEXT, TEXT, BIGINT, INTEGER),
    sb_file_fetched(TEXT, TEXT, BIGINT, TEXT, BYTEA, TEXT),
    sb_file_fetch_failed(TEXT, TEXT, BIGINT, TEXT, TEXT, BIGINT),
    sb_due_outbound(TEXT, TEXT, BIGINT, INTEGER),
    sb_reply_file(TEXT, TEXT, BIGINT, TEXT),
    sb_send_file(TEXT, TEXT, JSONB),
    sb_retry_send(TEXT, JSONB),
    sb_retry_file(JSONB) FROM PUBLIC;
-- The lease holder's functions (fenced inside). sb_send_file, sb_retry_send and sb_retry_file are
-- called only by sb_apply, which runs as their owner.
GRANT EXECUTE ON FUNCTION sb_files_to_fetch(TEXT, TEXT, BIGINT, INTEGER),
    sb_file_fetched(TEXT, TEXT, BIGINT, TEXT, BYTEA, TEXT),
    sb_file_fetch_failed(TEXT, TEXT, BIGINT, TEXT, TEXT, BIGINT),
    sb_due_outbound(TEXT, TEXT, BIGINT, INTEGER),
    sb_reply_file(TEXT, TEXT, BIGINT, TEXT) TO switchboard_operator;

-- sb_apply, as in 0015, with the three file kinds.
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
                'transfer_to_operator', 'send_file', 'retry_send', 'retry_file')
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
