-- Switchboard local store (standalone mode: the source of truth).
-- Times are Unix milliseconds. Ids are UUID strings.

CREATE TABLE workspace (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    can_manage_chats INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'offline')),
    -- when this operator last received a new chat (freest tie-break); NULL = never
    last_assigned_at INTEGER,
    is_local         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

CREATE TABLE roles (
    id   TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);

CREATE TABLE queues (
    id                     TEXT PRIMARY KEY NOT NULL,
    name                   TEXT NOT NULL UNIQUE,
    rule                   TEXT NOT NULL CHECK (rule IN ('to_all', 'freest')),
    completion_timeout_min INTEGER CHECK (completion_timeout_min IS NULL OR completion_timeout_min > 0)
);

CREATE TABLE queue_operators (
    queue_id TEXT NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (queue_id, user_id)
);

-- A queue's operators given as roles (in addition to queue_operators).
CREATE TABLE queue_roles (
    queue_id TEXT NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    role_id  TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (queue_id, role_id)
);

CREATE TABLE chat_actions (
    id       TEXT PRIMARY KEY NOT NULL,
    name     TEXT NOT NULL,
    queue_id TEXT REFERENCES queues (id),
    process  TEXT NOT NULL CHECK (process IN ('create_case', 'notify', 'webhook'))
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE channels (
    id          TEXT PRIMARY KEY NOT NULL,
    provider    TEXT NOT NULL CHECK (provider IN ('telegram', 'messenger')),
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    queue_id    TEXT NOT NULL REFERENCES queues (id),
    language    TEXT NOT NULL DEFAULT 'en',
    -- provider API base URL (the sandbox in tests and the demo); never a secret
    api_base    TEXT NOT NULL,
    -- the bot's user id / the page id
    external_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (provider, external_id)
);

-- getUpdates offset, written in the same transaction as the messages it confirms.
CREATE TABLE telegram_cursors (
    channel_id  TEXT PRIMARY KEY NOT NULL REFERENCES channels (id),
    next_offset INTEGER NOT NULL
);

CREATE TABLE contacts (
    id               TEXT PRIMARY KEY NOT NULL,
    channel_id       TEXT NOT NULL REFERENCES channels (id),
    provider_user_id TEXT NOT NULL,
    name             TEXT NOT NULL,
    username         TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (channel_id, provider_user_id)
);

CREATE TABLE chats (
    id               TEXT PRIMARY KEY NOT NULL,
    channel_id       TEXT NOT NULL REFERENCES channels (id),
    contact_id       TEXT NOT NULL REFERENCES contacts (id),
    queue_id         TEXT NOT NULL REFERENCES queues (id),
    state            TEXT NOT NULL CHECK (state IN ('bot', 'queued', 'offered', 'active', 'completed')),
    operator_id      TEXT REFERENCES users (id),
    -- where replies go: Telegram chat id / Messenger PSID
    provider_chat_id TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    completed_at     INTEGER,
    -- routing: first come, first served order; freest offer time; completion timeout inputs
    arrival          INTEGER NOT NULL DEFAULT 0,
    offered_at       INTEGER,
    last_message_at  INTEGER NOT NULL,
    last_message_outbound INTEGER NOT NULL DEFAULT 0,
    -- JSON array of operator ids not to offer this chat again while it waits
    excluded         TEXT NOT NULL DEFAULT '[]',
    CHECK ((state = 'active') = (operator_id IS NOT NULL))
);
-- A contact has at most one open chat per channel.
CREATE UNIQUE INDEX chats_one_open_per_contact ON chats (channel_id, contact_id) WHERE state <> 'completed';
CREATE INDEX chats_by_activity ON chats (last_activity_at DESC);

-- Operators currently holding an offer of a chat.
CREATE TABLE chat_offers (
    chat_id    TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    offered_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_offers_by_user ON chat_offers (user_id);

CREATE TABLE messages (
    id             TEXT PRIMARY KEY NOT NULL,
    chat_id        TEXT NOT NULL REFERENCES chats (id),
    channel_id     TEXT NOT NULL REFERENCES channels (id),
    kind           TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound', 'note', 'system')),
    text           TEXT NOT NULL,
    author         TEXT NOT NULL,
    author_user_id TEXT REFERENCES users (id),
    created_at     INTEGER NOT NULL,
    -- provider identity of the message ("<chat>/<message_id>" on Telegram)
    provider_key   TEXT,
    delivery       TEXT CHECK (delivery IN ('pending', 'sent', 'failed')),
    failure_reason TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    -- parts of a long text already accepted by the provider (resume, never resend)
    parts_sent     INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    is_read        INTEGER NOT NULL DEFAULT 1,
    CHECK ((kind = 'outbound') = (delivery IS NOT NULL))
);
-- Every provider message is stored once, whatever is redelivered.
CREATE UNIQUE INDEX messages_provider_once ON messages (channel_id, provider_key) WHERE provider_key IS NOT NULL;
CREATE INDEX messages_by_chat ON messages (chat_id, created_at);
CREATE INDEX messages_outbox ON messages (channel_id, delivery) WHERE delivery = 'pending';

-- Why each chat went where it went.
CREATE TABLE routing_decisions (
    id          TEXT PRIMARY KEY NOT NULL,
    chat_id     TEXT NOT NULL REFERENCES chats (id),
    decided_at  INTEGER NOT NULL,
    kind        TEXT NOT NULL, -- offer, assign, withdraw, wait, complete, set_inactive
    rule        TEXT,
    candidates  TEXT NOT NULL, -- JSON [{operator_id, active_chats, last_assigned_at}]
    chosen_user_id TEXT REFERENCES users (id),
    reason      TEXT NOT NULL,
    tie_break   TEXT
);
CREATE INDEX routing_decisions_by_chat ON routing_decisions (chat_id, decided_at);
