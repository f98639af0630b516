-- Shared mode: where this desktop's cache is in Postgres's change feed (switchboard-sync's
-- Cursor: the last applied change in (txid, position) order). Written in the same transaction as
-- the changes it covers. Empty in standalone mode.
CREATE TABLE sync_position (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    txid     INTEGER NOT NULL,
    position INTEGER NOT NULL
);
