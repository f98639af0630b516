-- Shared mode: the router (issue 7). Routing decisions are taken by the same pure core as in
-- standalone mode, run by a trusted router process (the relay, next to Postgres) inside one
-- Postgres transaction: see src-tauri/sync/src/router/mod.rs and POSTGRES.md ("The router").

-- A total order of the decision log. decided_at has millisecond resolution and comes from
-- several writers; seq is taken inside the transaction that holds the operator's row lock, so for
-- one operator the order of seq is the order in which their assignments and completions happened
-- (the race tests replay it to prove capacity was never exceeded).
ALTER TABLE routing_decisions ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
CREATE INDEX routing_decisions_by_seq ON routing_decisions (seq);
