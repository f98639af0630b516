-- Messenger conversations: webhook events exactly as they arrived, stored before Meta gets its 200
-- and processed afterwards (SPEC "Facebook Messenger channel"). The relay writes here.

CREATE TABLE messenger_inbox (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id        TEXT NOT NULL,
    channel        TEXT NOT NULL CHECK (channel IN ('messaging', 'standby')),
    -- the message's mid, or sender+watermark (reads, deliveries), sender+timestamp+kind (handovers),
    -- a hash of the raw JSON (unknown events): a redelivered event is the same key
    dedupe_key     TEXT NOT NULL,
    kind           TEXT NOT NULL
                   CHECK (kind IN ('message', 'echo', 'postback', 'read', 'delivery', 'handover', 'unknown')),
    -- the event's JSON as Meta sent it, byte for byte (TEXT, not JSONB, which would re-encode it)
    event_json     TEXT NOT NULL,
    received_at    BIGINT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processed', 'ignored')),
    ignored_reason TEXT,
    CHECK ((state = 'ignored') = (ignored_reason IS NOT NULL))
);
CREATE UNIQUE INDEX messenger_inbox_once ON messenger_inbox (page_id, dedupe_key);
CREATE INDEX messenger_inbox_pending ON messenger_inbox (id) WHERE state = 'pending';
