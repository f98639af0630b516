-- The change feed (0006, 0013) records its rows per statement instead of per row.
--
-- The row trigger ran a PL/pgSQL function and built a JSON copy of the whole row (`to_jsonb(NEW)`,
-- message text included) for every row written, only to read its key back. A router pass writes
-- thousands of rows in a handful of statements (offers, chats, decisions), and the row trigger was
-- most of its cost. A statement trigger with transition tables inserts the same change_log rows
-- with one INSERT … SELECT per statement.
--
-- What the feed carries is unchanged: one row per written row, with its key (composite keys joined
-- with '/' in key order) and its operation; positions and transaction ids come from the table's
-- defaults as before. An UPDATE that changes a key still shows as the old key deleted and the new
-- key inserted: transition tables do not pair old and new rows, so the keys are compared as sets
-- (a key in both is an update). Readers never relied on the order of rows within a transaction.

-- TG_ARGV names the key columns of the table, as for change_log_record.
CREATE FUNCTION change_log_record_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    key_of TEXT;
BEGIN
    SELECT string_agg(format('%I::text', k), ' || ''/'' || ' ORDER BY i) INTO key_of
    FROM unnest(TG_ARGV) WITH ORDINALITY AS a (k, i);
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO change_log (table_name, row_id, op) SELECT %L, %s, ''insert'' FROM new_rows',
            TG_TABLE_NAME, key_of);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format(
            'INSERT INTO change_log (table_name, row_id, op) SELECT %L, %s, ''delete'' FROM old_rows',
            TG_TABLE_NAME, key_of);
    ELSE
        EXECUTE format(
            'INSERT INTO change_log (table_name, row_id, op)
             SELECT %L, COALESCE(n.k, o.k),
                    CASE WHEN o.k IS NULL THEN ''insert'' WHEN n.k IS NULL THEN ''delete''
                         ELSE ''update'' END
             FROM (SELECT DISTINCT %s AS k FROM new_rows) n
             FULL JOIN (SELECT DISTINCT %s AS k FROM old_rows) o ON o.k = n.k',
            TG_TABLE_NAME, key_of, key_of);
    END IF;
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    t RECORD;
    args TEXT;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('settings', 'key'),
        ('chat_actions', 'id'),
        ('users', 'id'),
        ('roles', 'id'),
        ('user_roles', 'user_id, role_id'),
        ('queues', 'id'),
        ('queue_operators', 'queue_id, user_id'),
        ('queue_roles', 'queue_id, role_id'),
        ('channels', 'id'),
        ('contacts', 'id'),
        ('chats', 'id'),
        ('chat_offers', 'chat_id, user_id'),
        ('messages', 'id'),
        ('attachments', 'id')
    ) AS s (table_name, key_columns)
    LOOP
        args := (SELECT string_agg(quote_literal(trim(c)), ', ')
                 FROM unnest(string_to_array(t.key_columns, ',')) AS c);
        EXECUTE format('DROP TRIGGER change_log_record ON %I', t.table_name);
        EXECUTE format(
            'CREATE TRIGGER change_log_inserted AFTER INSERT ON %I
             REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION change_log_record_statement(%s)',
            t.table_name, args);
        EXECUTE format(
            'CREATE TRIGGER change_log_updated AFTER UPDATE ON %I
             REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION change_log_record_statement(%s)',
            t.table_name, args);
        EXECUTE format(
            'CREATE TRIGGER change_log_deleted AFTER DELETE ON %I
             REFERENCING OLD TABLE AS old_rows
             FOR EACH STATEMENT EXECUTE FUNCTION change_log_record_statement(%s)',
            t.table_name, args);
    END LOOP;
END;
$$;

DROP FUNCTION change_log_record();
