-- Shared mode: what this desktop's operator did, waiting to reach Postgres (switchboard-sync's
-- outbox). Each entry carries the id this desktop gave it; Postgres's sb_apply applies an id once,
-- so delivering an entry again after a lost answer is harmless. Delivered strictly in seq order.
-- Empty in standalone mode.
CREATE TABLE sync_outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    args        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'refused')),
    -- sb_apply's answer (JSON), or why the entry was refused
    outcome     TEXT
);
CREATE INDEX sync_outbox_pending ON sync_outbox (seq) WHERE state = 'pending';
