-- Down-sync change feed (shared mode): every write to a synced table leaves a row in change_log,
-- which desktops pull into their SQLite caches (crate switchboard-sync, `feed.rs`).
--
-- `position` comes from a sequence, so positions are taken when a transaction writes, not when it
-- commits: a reader must never use "position > last seen" alone. It reads in (txid, position)
-- order and only rows whose transaction is older than every running one
-- (txid < pg_snapshot_xmin(pg_current_snapshot())); see the crate's documentation for why that
-- never skips a row and never stalls forever.

CREATE TABLE change_log (
    position   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name TEXT NOT NULL,
    -- the row's key; composite keys joined with '/' in key order
    row_id     TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- the writing (top-level) transaction; 64 bits, never wraps
    txid       XID8 NOT NULL DEFAULT pg_current_xact_id()
);
-- The feed's read order and its horizon test.
CREATE INDEX change_log_by_txid ON change_log (txid, position);

-- Row trigger: TG_ARGV names the key columns of the table.
CREATE FUNCTION change_log_record() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    new_key TEXT;
    old_key TEXT;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        SELECT string_agg(to_jsonb(NEW) ->> k, '/' ORDER BY i) INTO new_key
        FROM unnest(TG_ARGV) WITH ORDINALITY AS a (k, i);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        SELECT string_agg(to_jsonb(OLD) ->> k, '/' ORDER BY i) INTO old_key
        FROM unnest(TG_ARGV) WITH ORDINALITY AS a (k, i);
    END IF;
    IF TG_OP = 'UPDATE' AND old_key IS DISTINCT FROM new_key THEN
        -- A key change is the old row gone and the new one arriving.
        INSERT INTO change_log (table_name, row_id, op) VALUES (TG_TABLE_NAME, old_key, 'delete');
        INSERT INTO change_log (table_name, row_id, op) VALUES (TG_TABLE_NAME, new_key, 'insert');
    ELSE
        INSERT INTO change_log (table_name, row_id, op)
        VALUES (TG_TABLE_NAME, COALESCE(new_key, old_key), lower(TG_OP));
    END IF;
    RETURN NULL;
END;
$$;

-- Statement trigger: a wake-up, not a carrier. Postgres folds identical notifications of one
-- transaction into one and delivers it at commit (never for a rolled-back transaction).
CREATE FUNCTION change_log_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_changes', '');
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT * FROM (VALUES
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
        EXECUTE format(
            'CREATE TRIGGER change_log_record AFTER INSERT OR UPDATE OR DELETE ON %I
             FOR EACH ROW EXECUTE FUNCTION change_log_record(%s)',
            t.table_name,
            (SELECT string_agg(quote_literal(trim(c)), ', ')
             FROM unnest(string_to_array(t.key_columns, ',')) AS c));
        EXECUTE format(
            'CREATE TRIGGER change_log_notify AFTER INSERT OR UPDATE OR DELETE ON %I
             FOR EACH STATEMENT EXECUTE FUNCTION change_log_notify()',
            t.table_name);
    END LOOP;
END;
$$;
