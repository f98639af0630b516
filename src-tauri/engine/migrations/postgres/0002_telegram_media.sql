-- Telegram production grade: edited messages and attachments (both directions).

-- When the customer last edited the message (Telegram `edit_date`); NULL = never edited.
ALTER TABLE messages ADD COLUMN edited_at BIGINT;

-- Files of a message. Inbound files are fetched after the message is stored (state `pending`
-- until the bytes are here), so a slow download never holds up the update offset. Outbound
-- files are stored when the operator attaches them and sent from here by the outbox.
CREATE TABLE attachments (
    id               TEXT PRIMARY KEY NOT NULL,
    message_id       TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    channel_id       TEXT NOT NULL REFERENCES channels (id),
    kind             TEXT NOT NULL CHECK (kind IN ('photo', 'document', 'voice', 'sticker')),
    file_name        TEXT,
    mime_type        TEXT,
    size             BIGINT,
    -- the provider's handle for downloading (Telegram file_id); NULL for operators' files
    provider_file_id TEXT,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'stored', 'failed')),
    failure_reason   TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    content          BYTEA,
    created_at       BIGINT NOT NULL,
    CHECK ((state = 'stored') = (content IS NOT NULL))
);
CREATE INDEX attachments_by_message ON attachments (message_id);
CREATE INDEX attachments_to_fetch ON attachments (channel_id, state) WHERE state = 'pending';
