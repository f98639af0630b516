-- Shared mode: a desktop that holds a bot's lease (0008) stores the customers' messages it polled
-- into Postgres. Operators cannot write messages, contacts or chats directly (0007), so the batch
-- goes through this function, which writes the offset first — fenced: refused with SB009 unless the
-- caller's role holds the lease with this token — and then the messages, all in the caller's one
-- transaction. A batch is therefore stored with its offset or not at all, a redelivered update is
-- stored once (the unique index messages_provider_once), and a desktop whose lease was taken over
-- cannot store anything. Described in POSTGRES.md ("Storing what a bot received").

-- updates: a JSON array of the batch's customer messages, oldest first:
--   {"key": "<chat id>/<message id>", "user": "<sender id>", "name": "…", "username": "…" | null,
--    "chat": "<chat id to answer in>", "text": "…", "at": <ms>}
-- Returns how many messages were new.
CREATE FUNCTION sb_ingest_telegram(channel TEXT, holder TEXT, fencing BIGINT, next_offset BIGINT,
                                   updates JSONB) RETURNS INTEGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    ch channels%ROWTYPE;
    u JSONB;
    contact TEXT;
    chat TEXT;
    at BIGINT;
    stored INTEGER := 0;
BEGIN
    -- Fenced offset first: it also locks the lease row (FOR SHARE) until this transaction ends,
    -- so a takeover waits for this batch to commit or roll back.
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
        CONTINUE WHEN EXISTS (SELECT FROM messages
                              WHERE channel_id = channel AND provider_key = u->>'key');
        at := (u->>'at')::BIGINT;
        INSERT INTO contacts AS c (id, channel_id, provider_user_id, name, username, created_at)
        VALUES (gen_random_uuid()::TEXT, channel, u->>'user', COALESCE(NULLIF(u->>'name', ''), 'Customer'),
                u->>'username', at)
        ON CONFLICT (channel_id, provider_user_id) DO UPDATE
            SET name = EXCLUDED.name, username = EXCLUDED.username
        RETURNING c.id INTO contact;
        -- One open chat per contact and channel; after a completed one, the customer starts a new
        -- chat that waits for routing (arrival 0: the router gives it its place in line).
        SELECT id INTO chat FROM chats
        WHERE channel_id = channel AND contact_id = contact AND state <> 'completed'
        FOR UPDATE;
        IF NOT FOUND THEN
            chat := gen_random_uuid()::TEXT;
            INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                               created_at, last_activity_at, last_message_at)
            VALUES (chat, channel, contact, ch.queue_id, 'queued', u->>'chat', at, at, at);
        END IF;
        INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at, provider_key)
        VALUES (gen_random_uuid()::TEXT, chat, channel, 'inbound', u->>'text',
                COALESCE(NULLIF(u->>'name', ''), 'Customer'), at, u->>'key');
        UPDATE chats SET last_message_at = GREATEST(last_message_at, at),
                         last_activity_at = GREATEST(last_activity_at, at),
                         last_message_outbound = FALSE
        WHERE id = chat;
        stored := stored + 1;
    END LOOP;
    RETURN stored;
END;
$$;

REVOKE ALL ON FUNCTION sb_ingest_telegram(TEXT, TEXT, BIGINT, BIGINT, JSONB) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_ingest_telegram(TEXT, TEXT, BIGINT, BIGINT, JSONB)
    TO switchboard_operator;
