-- Shared mode: a standalone desktop's data uploaded to the shared database when its admin connects
-- it (issue 7: "Switching a standalone install to shared offers to upload its data"). The desktop
-- (switchboard-sync's upload.rs) reads its SQLite file table by table in foreign-key order and
-- sends the rows in batches; this function inserts them. Described in POSTGRES.md ("Uploading a
-- standalone desktop").
--
-- Admins may write configuration directly (0007), but not the history (chats, messages, offers,
-- decisions) nor the Telegram offset: those change only through functions. This is that function
-- for the upload, and it only ever ADDS rows: ON CONFLICT DO NOTHING on every unique constraint,
-- so a row that is already there (an earlier upload, a retry after a failure halfway, a setting
-- the workspace already has) is kept as it is, and calling it twice with the same rows changes
-- nothing the second time.

-- Inserts `rows` (a JSON array of objects, one per row, keys = column names) into `table_name`
-- and returns how many of them were new. Values are converted by the column types
-- (jsonb_populate_recordset). A column named by any row is taken from every row (absent = NULL);
-- columns no row names get their defaults.
CREATE FUNCTION sb_import_rows(table_name TEXT, rows JSONB) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me TEXT;
    cols TEXT;
    bad TEXT;
    who TEXT;
    added BIGINT;
BEGIN
    IF NOT sb_is_admin() THEN
        RAISE EXCEPTION 'Only an admin may upload a desktop''s data to the shared database.'
            USING ERRCODE = '42501';
    END IF;
    -- The calling admin (their row locked: lock order step 1), unless the schema owner calls.
    IF session_user <> current_user THEN
        me := sb_lock_me();
    END IF;
    IF table_name IS NULL OR table_name NOT IN (
        'settings', 'users', 'roles', 'user_roles', 'queues', 'queue_operators', 'queue_roles',
        'chat_actions', 'channels', 'telegram_cursors', 'contacts', 'chats', 'chat_offers',
        'messages', 'attachments', 'routing_decisions'
    ) THEN
        RAISE EXCEPTION 'Switchboard does not upload the table %.', COALESCE(table_name, 'without a name')
            USING ERRCODE = 'SB008';
    END IF;
    IF rows IS NULL OR jsonb_typeof(rows) <> 'array'
       OR EXISTS (SELECT FROM jsonb_array_elements(rows) AS r WHERE jsonb_typeof(r) <> 'object') THEN
        RAISE EXCEPTION 'Rows are uploaded as a JSON array of objects.' USING ERRCODE = 'SB008';
    END IF;
    IF jsonb_array_length(rows) = 0 THEN
        RETURN 0;
    END IF;
    -- Batches, never one giant statement.
    IF jsonb_array_length(rows) > 5000 THEN
        RAISE EXCEPTION 'At most 5,000 rows are uploaded at a time.' USING ERRCODE = 'SB008';
    END IF;

    -- Every key must be a column that may be written: not a generated one (routing_decisions.seq
    -- is the database's own order), and never who is an admin or whose login a user is (users'
    -- can_manage_chats and db_role change only through sb_create_operator_role).
    SELECT k INTO bad
    FROM (SELECT DISTINCT jsonb_object_keys(r) AS k FROM jsonb_array_elements(rows) AS r) AS keys
    WHERE NOT EXISTS (
            SELECT FROM pg_attribute AS a
            WHERE a.attrelid = format('public.%I', table_name)::regclass
              AND a.attname = keys.k AND a.attnum > 0 AND NOT a.attisdropped
              AND a.attidentity <> 'a' AND a.attgenerated = '')
       OR (table_name = 'users' AND k IN ('can_manage_chats', 'db_role'))
    ORDER BY k
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'The column %.% cannot be uploaded.', table_name, bad USING ERRCODE = 'SB008';
    END IF;
    SELECT string_agg(format('%I', k), ', ' ORDER BY k) INTO cols
    FROM (SELECT DISTINCT jsonb_object_keys(r) AS k FROM jsonb_array_elements(rows) AS r) AS keys;

    -- An upload brings the uploader's own history and that of people without a login yet; it
    -- never gives a chat or an offer to another operator who logs in (that is routing's job, with
    -- its capacity rules), nor writes into such an operator's chat.
    IF table_name IN ('chats', 'chat_offers', 'messages', 'routing_decisions', 'attachments') THEN
        EXECUTE format(
            'SELECT u.name FROM jsonb_populate_recordset(NULL::public.%I, $1) AS r %s
             JOIN users AS u ON u.id = %s
             WHERE u.db_role IS NOT NULL AND u.id IS DISTINCT FROM $2
             LIMIT 1',
            table_name,
            CASE table_name
                WHEN 'messages' THEN 'JOIN chats AS c ON c.id = r.chat_id'
                WHEN 'routing_decisions' THEN 'JOIN chats AS c ON c.id = r.chat_id'
                WHEN 'attachments' THEN
                    'JOIN messages AS m ON m.id = r.message_id JOIN chats AS c ON c.id = m.chat_id'
                ELSE ''
            END,
            CASE table_name
                WHEN 'chats' THEN 'r.operator_id'
                WHEN 'chat_offers' THEN 'r.user_id'
                ELSE 'c.operator_id'
            END)
            INTO who USING rows, me;
        IF who IS NOT NULL THEN
            RAISE EXCEPTION 'An upload cannot give chats to %, another operator with a login, nor write into theirs.', who
                USING ERRCODE = 'SB008';
        END IF;
    END IF;

    EXECUTE format(
        'INSERT INTO public.%1$I (%2$s)
         SELECT %2$s FROM jsonb_populate_recordset(NULL::public.%1$I, $1)
         ON CONFLICT DO NOTHING',
        table_name, cols) USING rows;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END;
$$;

-- Functions are executable by PUBLIC by default: not this one. Operators may call it so that a
-- non-admin who tries gets the sentence above (42501) rather than Postgres's bare "permission
-- denied for function": the admin check is its first statement.
REVOKE ALL ON FUNCTION sb_import_rows(TEXT, JSONB) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_import_rows(TEXT, JSONB) TO switchboard_operator;
