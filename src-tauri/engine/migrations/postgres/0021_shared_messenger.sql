-- Shared mode: Facebook Messenger conversations. Described in POSTGRES.md ("Messenger in shared
-- mode").
--
-- In: the relay stores each webhook event in messenger_inbox (0003) before Meta gets its 200; the
-- relay's processor (switchboard-relay, processor.rs: the trusted process next to Postgres, as the
-- schema owner, which also routes) reads the pending events in order, decides what each means
-- (the same decisions as the standalone desktop's processor) and applies a batch with
-- sb_ingest_messenger in one transaction: contacts, chats, messages once per mid, echoes,
-- receipts, bots passing the thread, and each event's outcome. The router routes the new chats
-- and every desktop's cache follows through the change feed. The relay has no page tokens: a new
-- customer is named "Messenger user …1234" and put on messenger_profiles_due, and the desktop
-- holding the page's lease asks the profile API and writes the name and picture
-- (sb_messenger_profile, sb_messenger_picture).
-- Customers' files are recorded pending, and the lease holder downloads them with 0019's fenced
-- functions (sb_files_to_fetch, sb_file_fetched, sb_file_fetch_failed).
-- Out: an operator's reply is a pending outbound message (sb_apply 'send' or 'send_file', 0010,
-- 0019); the desktop holding the page's lease (0008; the page token is in its keychain) takes the
-- due ones with sb_due_messenger_replies, which also says when the customer last wrote and whether
-- the channel may use the HUMAN_AGENT tag, sends them under the 24-hour window, and records the
-- outcome with sb_reply_progress / sb_reply_retry / sb_reply_failed (0012) and
-- sb_messenger_reply_sent.

-- ---------------------------------------------------------------------------------------------
-- The inbox in commit order. Inbox ids come from a sequence, taken when a relay inserts, not when
-- it commits: with several relays, event 11 may be visible while event 10 is still being
-- committed. The processor therefore reads, like the change feed (0006), only rows whose writing
-- transaction is older than every running one, in (txid, id) order: no event is processed before
-- one committed ahead of it.
ALTER TABLE messenger_inbox ADD COLUMN txid XID8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX messenger_inbox_pending_in_order ON messenger_inbox (txid, id) WHERE state = 'pending';

-- A customer's chats, newest first (echoes and receipts go to the customer's latest chat).
CREATE INDEX chats_by_contact ON chats (contact_id, created_at);

-- Customers whose name the profile API has not given yet: written by sb_ingest_messenger when it
-- creates a contact, taken by the page's lease holder. Not in the change feed; no grant (the
-- functions below read it).
CREATE TABLE messenger_profiles_due (
    contact_id      TEXT PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX messenger_profiles_due_by_channel ON messenger_profiles_due (channel_id, next_attempt_at);

-- ---------------------------------------------------------------------------------------------
-- In. events: a JSON array, in inbox order, one element per stored message (an event with two
-- files is two elements) and one per other event, each with its inbox row and outcome:
--   {"inbox": <messenger_inbox.id>, "outcome": "processed" | "ignored", "reason": "…" | null,
--    "act": null | "message" | "echo" | "read" | "delivery" | "release",
--    "channel": "<channel id>", "psid": "<customer>",
--    -- message: "key": "<mid>", "name": "<placeholder>", "text": "…", "at": <ms>,
--    --          "state": "queued" | "bot", "file": null | {"kind", "url", "name"}
--    -- echo:    "key": "<mid>", "text": "…", "author": "…", "at": <ms>
--    -- read, delivery: "watermark": <ms>}
-- Returns how many messages were new. The schema owner's only (the relay): desktops never call it.
CREATE FUNCTION sb_ingest_messenger(events JSONB) RETURNS INTEGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    now_ms BIGINT := sb_now_ms();
    created TEXT[];
    stored INTEGER;
BEGIN
    IF jsonb_typeof(events) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'The batch is a JSON array of inbox events.' USING ERRCODE = 'SB008';
    END IF;
    IF EXISTS (
        SELECT FROM jsonb_array_elements(events) AS e (v)
        WHERE jsonb_typeof(v->'inbox') IS DISTINCT FROM 'number'
           OR COALESCE(v->>'outcome', '') NOT IN ('processed', 'ignored')
           OR (v->>'act' IS NOT NULL
               AND (v->>'act' NOT IN ('message', 'echo', 'read', 'delivery', 'release')
                    OR COALESCE(v->>'channel', '') = '' OR COALESCE(v->>'psid', '') = ''))
           OR (v->>'act' IN ('message', 'echo')
               AND (COALESCE(v->>'key', '') = '' OR jsonb_typeof(v->'text') IS DISTINCT FROM 'string'
                    OR jsonb_typeof(v->'at') IS DISTINCT FROM 'number'))
           OR (v->>'act' = 'message'
               AND (COALESCE(v->>'state', '') NOT IN ('queued', 'bot') OR COALESCE(v->>'name', '') = ''))
           OR (v->>'act' IN ('read', 'delivery')
               AND jsonb_typeof(v->'watermark') IS DISTINCT FROM 'number')) THEN
        RAISE EXCEPTION 'An event of the batch lacks its inbox row, outcome, customer, key, text or time.'
            USING ERRCODE = 'SB008';
    END IF;

    -- 1. New customers, named by the placeholder until the profile API is asked; a known customer
    -- keeps the name they have.
    WITH new_contacts AS (
        INSERT INTO contacts AS c (id, channel_id, provider_user_id, name, created_at)
        SELECT DISTINCT ON (v->>'channel', v->>'psid')
               gen_random_uuid()::TEXT, v->>'channel', v->>'psid', v->>'name', now_ms
        FROM jsonb_array_elements(events) WITH ORDINALITY AS e (v, seq)
        WHERE v->>'act' = 'message'
        ORDER BY v->>'channel', v->>'psid', seq
        ON CONFLICT (channel_id, provider_user_id) DO NOTHING
        RETURNING c.id, c.channel_id)
    INSERT INTO messenger_profiles_due (contact_id, channel_id)
    SELECT id, channel_id FROM new_contacts;

    -- 2. The customers' active chats, locked in id order (POSTGRES.md, lock order step 2; the
    -- router locks active chats in the same order): only an active chat can be completed meanwhile
    -- (by its operator or the completion timer), which then waits for this batch, or completes
    -- first and the customer's message opens a new chat. The other open chats are not locked (as
    -- sb_ingest_telegram, a customer's message changes only their message columns); step 4 checks
    -- that every message found its chat.
    PERFORM FROM chats c
    JOIN contacts ct ON ct.id = c.contact_id
    JOIN (SELECT DISTINCT v->>'channel' AS channel, v->>'psid' AS psid
          FROM jsonb_array_elements(events) AS e (v)
          WHERE v->>'act' IN ('message', 'echo', 'release')) b
      ON ct.channel_id = b.channel AND ct.provider_user_id = b.psid
    WHERE c.channel_id = b.channel AND c.state = 'active'
    ORDER BY c.id
    FOR UPDATE OF c;

    -- 3. A new chat for each customer who writes and has none open, in the state of their first
    -- message of the batch: 'queued' (arrival 0: the router's next pass gives it its place in
    -- line) or 'bot' (another app holds the thread).
    WITH firsts AS (
        SELECT DISTINCT ON (v->>'channel', v->>'psid')
               v->>'channel' AS channel, v->>'psid' AS psid, v->>'state' AS state
        FROM jsonb_array_elements(events) WITH ORDINALITY AS e (v, seq)
        WHERE v->>'act' = 'message'
        ORDER BY v->>'channel', v->>'psid', seq),
    made AS (
        INSERT INTO chats (id, channel_id, contact_id, queue_id, state, provider_chat_id,
                           created_at, last_activity_at, last_message_at)
        SELECT gen_random_uuid()::TEXT, f.channel, ct.id, ch.queue_id, f.state, f.psid,
               now_ms, now_ms, now_ms
        FROM firsts f
        JOIN channels ch ON ch.id = f.channel
        JOIN contacts ct ON ct.channel_id = f.channel AND ct.provider_user_id = f.psid
        WHERE NOT EXISTS (SELECT FROM chats o
                          WHERE o.contact_id = ct.id AND o.channel_id = f.channel
                            AND o.state <> 'completed')
        RETURNING id)
    SELECT COALESCE(array_agg(id), '{}') INTO created FROM made;

    -- 4. Messages, once per (channel, key): the customer's in their open chat (authored by the
    -- contact's name as it is now), echoes in the customer's latest chat, open first (not in a
    -- chat a later message of this batch opened: the standalone processor would not have had
    -- it yet). A file is recorded pending, for download. The chat's activity and completion-timer
    -- inputs follow its newest new message.
    WITH batch AS (
        SELECT seq, v->>'act' AS act, v->>'channel' AS channel, v->>'psid' AS psid,
               v->>'key' AS key, v->>'text' AS text, v->>'author' AS author,
               (v->>'at')::BIGINT AS at, v->'file' AS file
        FROM jsonb_array_elements(events) WITH ORDINALITY AS e (v, seq)
        WHERE v->>'act' IN ('message', 'echo')),
    target AS (
        SELECT b.*, t.chat_id, ct.name AS contact_name
        FROM batch b
        JOIN contacts ct ON ct.channel_id = b.channel AND ct.provider_user_id = b.psid
        JOIN LATERAL (
            SELECT c.id AS chat_id FROM chats c
            WHERE c.contact_id = ct.id AND c.channel_id = b.channel
              AND (b.act = 'echo' OR c.state <> 'completed')
            ORDER BY c.state = 'completed', c.created_at DESC, c.id DESC
            LIMIT 1) t ON TRUE
        WHERE b.act = 'message'
           OR NOT t.chat_id = ANY (created)
           OR EXISTS (SELECT FROM batch m
                      WHERE m.act = 'message' AND m.channel = b.channel AND m.psid = b.psid
                        AND m.seq < b.seq)),
    inserted AS (
        INSERT INTO messages AS m (id, chat_id, channel_id, kind, text, author, created_at,
                                   provider_key, delivery)
        SELECT gen_random_uuid()::TEXT, t.chat_id, t.channel,
               CASE t.act WHEN 'message' THEN 'inbound' ELSE 'outbound' END, t.text,
               CASE t.act WHEN 'message' THEN t.contact_name ELSE COALESCE(t.author, '') END,
               t.at, t.key, CASE t.act WHEN 'echo' THEN 'sent' END
        FROM target t
        ORDER BY t.seq
        ON CONFLICT (channel_id, provider_key) WHERE provider_key IS NOT NULL DO NOTHING
        RETURNING m.id, m.chat_id, m.channel_id, m.provider_key),
    files AS (
        INSERT INTO attachments (id, message_id, channel_id, kind, file_name, provider_file_id,
                                 state, created_at)
        SELECT gen_random_uuid()::TEXT, i.id, i.channel_id, t.file->>'kind',
               left(t.file->>'name', 255), t.file->>'url', 'pending', now_ms
        FROM inserted i JOIN target t ON t.channel = i.channel_id AND t.key = i.provider_key
        WHERE jsonb_typeof(t.file) = 'object'
        RETURNING 1),
    newest AS (
        SELECT DISTINCT ON (i.chat_id) i.chat_id, t.act = 'echo' AS outbound
        FROM inserted i JOIN target t ON t.channel = i.channel_id AND t.key = i.provider_key
        ORDER BY i.chat_id, t.seq DESC),
    touched AS (
        UPDATE chats c SET last_activity_at = GREATEST(c.last_activity_at, now_ms),
                           last_message_at = GREATEST(c.last_message_at, now_ms),
                           last_message_outbound = n.outbound
        FROM newest n WHERE c.id = n.chat_id
        RETURNING 1)
    SELECT count(*) INTO stored FROM inserted;
    -- A customer's message always has its chat: one that stopped being open between step 3 and
    -- step 4 (accepted and completed in that instant) makes the batch run again.
    IF EXISTS (SELECT FROM jsonb_array_elements(events) AS e (v)
               WHERE v->>'act' = 'message'
                 AND NOT EXISTS (SELECT FROM messages m
                                 WHERE m.channel_id = v->>'channel'
                                   AND m.provider_key = v->>'key')) THEN
        RAISE EXCEPTION 'A customer''s chat changed while the batch was stored; it is stored again.'
            USING ERRCODE = '40001';
    END IF;

    -- 5. A bot passed the thread to Switchboard: the customer's bot chat waits for routing
    -- (arrival 0). Not a chat that a later message of this batch opened.
    UPDATE chats c SET state = 'queued', last_activity_at = GREATEST(c.last_activity_at, now_ms)
    FROM (SELECT seq, v->>'channel' AS channel, v->>'psid' AS psid
          FROM jsonb_array_elements(events) WITH ORDINALITY AS e (v, seq)
          WHERE v->>'act' = 'release') r,
         contacts ct
    WHERE ct.channel_id = r.channel AND ct.provider_user_id = r.psid
      AND c.contact_id = ct.id AND c.channel_id = r.channel AND c.state = 'bot'
      AND (NOT c.id = ANY (created)
           OR EXISTS (SELECT FROM jsonb_array_elements(events) WITH ORDINALITY AS m (v, seq)
                      WHERE m.v->>'act' = 'message' AND m.v->>'channel' = r.channel
                        AND m.v->>'psid' = r.psid AND m.seq < r.seq));

    -- 6. Receipts: the outbound messages of the customer's latest chat up to the watermark are
    -- delivered or read (a read implies delivery). A message still pending was sent: the receipt
    -- can overtake the sender's bookkeeping.
    WITH receipts AS (
        SELECT t.chat_id,
               max(CASE WHEN v->>'act' = 'read' THEN (v->>'watermark')::BIGINT END) AS read_mark,
               max(CASE WHEN v->>'act' = 'delivery' THEN (v->>'watermark')::BIGINT END)
                   AS delivery_mark
        FROM jsonb_array_elements(events) AS e (v)
        JOIN contacts ct ON ct.channel_id = v->>'channel' AND ct.provider_user_id = v->>'psid'
        JOIN LATERAL (
            SELECT c.id AS chat_id FROM chats c
            WHERE c.contact_id = ct.id AND c.channel_id = v->>'channel'
            ORDER BY c.created_at DESC, c.id DESC
            LIMIT 1) t ON TRUE
        WHERE v->>'act' IN ('read', 'delivery')
        GROUP BY t.chat_id)
    UPDATE messages m
    SET read_at = CASE WHEN m.read_at IS NULL AND m.created_at <= r.read_mark
                       THEN r.read_mark ELSE m.read_at END,
        delivered_at = CASE WHEN m.delivered_at IS NOT NULL THEN m.delivered_at
                            WHEN m.created_at <= r.delivery_mark THEN r.delivery_mark
                            WHEN m.created_at <= r.read_mark THEN r.read_mark END
    FROM receipts r
    WHERE m.chat_id = r.chat_id AND m.kind = 'outbound' AND m.delivery <> 'failed'
      AND ((m.read_at IS NULL AND m.created_at <= r.read_mark)
           OR (m.delivered_at IS NULL AND m.created_at <= r.delivery_mark));

    -- 7. Each event's outcome: it is no longer pending.
    UPDATE messenger_inbox i
    SET state = o.outcome,
        ignored_reason = CASE WHEN o.outcome = 'ignored' THEN COALESCE(o.reason, 'ignored') END
    FROM (SELECT DISTINCT ON ((v->>'inbox')::BIGINT)
                 (v->>'inbox')::BIGINT AS id, v->>'outcome' AS outcome,
                 NULLIF(v->>'reason', '') AS reason
          FROM jsonb_array_elements(events) AS e (v)
          ORDER BY (v->>'inbox')::BIGINT) o
    WHERE i.id = o.id AND i.state = 'pending';
    RETURN stored;
END;
$$;

REVOKE ALL ON FUNCTION sb_ingest_messenger(JSONB) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Names: the page's lease holder asks the profile API for the customers still named by the
-- placeholder. Each function is fenced like 0012's (SB009 unless the caller's role holds the live
-- lease with that token).

-- Customers of the channel whose name is due, oldest first.
CREATE FUNCTION sb_messenger_profiles_due(channel TEXT, holder TEXT, fencing BIGINT,
                                          max_count INTEGER)
RETURNS TABLE (contact_id TEXT, psid TEXT, name TEXT, attempts INTEGER)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    RETURN QUERY
        SELECT ct.id, ct.provider_user_id, ct.name, d.attempts
        FROM messenger_profiles_due d JOIN contacts ct ON ct.id = d.contact_id
        WHERE d.channel_id = channel AND d.next_attempt_at <= sb_now_ms()
        ORDER BY d.next_attempt_at, ct.created_at, ct.id
        LIMIT LEAST(GREATEST(max_count, 1), 100);
END;
$$;

-- The profile API's answer: the customer's name (NULL: Meta gave none, the placeholder stays),
-- also on their messages that carry the old name. The customer is no longer due.
CREATE FUNCTION sb_messenger_profile(channel TEXT, holder TEXT, fencing BIGINT, contact TEXT,
                                     new_name TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    old_name TEXT;
    clean TEXT := left(btrim(new_name), 200);
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    DELETE FROM messenger_profiles_due d WHERE d.contact_id = contact AND d.channel_id = channel;
    IF NOT FOUND OR clean IS NULL OR clean = '' THEN
        RETURN;
    END IF;
    SELECT ct.name INTO old_name FROM contacts ct
    WHERE ct.id = contact AND ct.channel_id = channel FOR UPDATE;
    IF NOT FOUND OR old_name = clean THEN
        RETURN;
    END IF;
    UPDATE contacts SET name = clean WHERE id = contact;
    UPDATE messages m SET author = clean
    FROM chats c
    WHERE c.contact_id = contact AND m.chat_id = c.id AND m.kind = 'inbound'
      AND m.author = old_name;
END;
$$;

-- The customer's profile picture (the profile API's URL expires, so the holder keeps the bytes),
-- shown on the contact card of every desktop: PNG, JPEG, GIF or WebP, at most 1 MB.
CREATE FUNCTION sb_messenger_picture(channel TEXT, holder TEXT, fencing BIGINT, contact TEXT,
                                     picture BYTEA, picture_type TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    IF picture IS NULL OR octet_length(picture) = 0 OR octet_length(picture) > 1024 * 1024
       OR picture_type IS NULL
       OR picture_type NOT IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp') THEN
        RAISE EXCEPTION 'A profile picture is a PNG, JPEG, GIF or WebP image of at most 1 MB.'
            USING ERRCODE = 'SB008';
    END IF;
    UPDATE contacts ct SET picture = sb_messenger_picture.picture,
                           picture_type = sb_messenger_picture.picture_type
    WHERE ct.id = contact AND ct.channel_id = channel;
END;
$$;

-- Asking failed: due again after delay_ms, or never (delay_ms NULL: the page may not read
-- profiles); the placeholder stays.
CREATE FUNCTION sb_messenger_profile_failed(channel TEXT, holder TEXT, fencing BIGINT,
                                            contact TEXT, delay_ms BIGINT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    IF delay_ms IS NULL THEN
        DELETE FROM messenger_profiles_due d WHERE d.contact_id = contact AND d.channel_id = channel;
    ELSE
        UPDATE messenger_profiles_due d
        SET attempts = d.attempts + 1, next_attempt_at = sb_now_ms() + GREATEST(delay_ms, 0)
        WHERE d.contact_id = contact AND d.channel_id = channel;
    END IF;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Out. The page's replies due now, oldest first, with what the window needs: when the customer
-- last wrote in the chat, and whether the channel may use the HUMAN_AGENT tag; and the reply's
-- file, if any (its bytes come from sb_reply_file, 0019).
CREATE FUNCTION sb_due_messenger_replies(channel TEXT, holder TEXT, fencing BIGINT,
                                         max_count INTEGER)
RETURNS TABLE (message_id TEXT, chat_id TEXT, psid TEXT, text TEXT, parts_sent INTEGER,
               attempts INTEGER, last_customer_at BIGINT, human_agent BOOLEAN,
               attachment_id TEXT, attachment_kind TEXT, file_name TEXT, mime_type TEXT)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    RETURN QUERY
        SELECT m.id, m.chat_id, c.provider_chat_id, m.text, m.parts_sent, m.attempts,
               (SELECT max(i.created_at) FROM messages i
                WHERE i.chat_id = m.chat_id AND i.kind = 'inbound'),
               ch.human_agent, f.id, f.kind, f.file_name, f.mime_type
        FROM messages m
        JOIN chats c ON c.id = m.chat_id
        JOIN channels ch ON ch.id = m.channel_id
        LEFT JOIN LATERAL (SELECT a.id, a.kind, a.file_name, a.mime_type FROM attachments a
                           WHERE a.message_id = m.id ORDER BY a.created_at, a.id LIMIT 1) f ON TRUE
        WHERE m.channel_id = channel AND ch.provider = 'messenger' AND m.kind = 'outbound'
          AND m.delivery = 'pending' AND COALESCE(m.next_attempt_at, 0) <= sb_now_ms()
        ORDER BY m.created_at, m.id
        LIMIT LEAST(GREATEST(max_count, 1), 100);
END;
$$;

-- Sent, with Meta's message id (mid). The echo of this very send may have been stored before this
-- call (a relay that does not know the workspace's app id stores echoes it cannot tell from the
-- page's other messages): that line is this message, and goes.
CREATE FUNCTION sb_messenger_reply_sent(channel TEXT, holder TEXT, fencing BIGINT, message TEXT,
                                        mid TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_require_lease(channel, holder, fencing);
    IF NOT EXISTS (SELECT FROM messages WHERE id = message AND channel_id = channel
                                          AND delivery = 'pending') THEN
        RETURN;
    END IF;
    DELETE FROM messages e
    WHERE e.channel_id = channel AND e.provider_key = mid AND e.id <> message
      AND e.kind = 'outbound' AND e.author_user_id IS NULL;
    UPDATE messages SET delivery = 'sent', provider_key = mid, failure_reason = NULL,
                        next_attempt_at = NULL
    WHERE id = message AND channel_id = channel AND delivery = 'pending';
END;
$$;

REVOKE ALL ON FUNCTION sb_messenger_profiles_due(TEXT, TEXT, BIGINT, INTEGER),
    sb_messenger_profile(TEXT, TEXT, BIGINT, TEXT, TEXT),
    sb_messenger_picture(TEXT, TEXT, BIGINT, TEXT, BYTEA, TEXT),
    sb_messenger_profile_failed(TEXT, TEXT, BIGINT, TEXT, BIGINT),
    sb_due_messenger_replies(TEXT, TEXT, BIGINT, INTEGER),
    sb_messenger_reply_sent(TEXT, TEXT, BIGINT, TEXT, TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_messenger_profiles_due(TEXT, TEXT, BIGINT, INTEGER),
    sb_messenger_profile(TEXT, TEXT, BIGINT, TEXT, TEXT),
    sb_messenger_picture(TEXT, TEXT, BIGINT, TEXT, BYTEA, TEXT),
    sb_messenger_profile_failed(TEXT, TEXT, BIGINT, TEXT, BIGINT),
    sb_due_messenger_replies(TEXT, TEXT, BIGINT, INTEGER),
    sb_messenger_reply_sent(TEXT, TEXT, BIGINT, TEXT, TEXT) TO switchboard_operator;
