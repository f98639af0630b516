//! How each table is uploaded, parents before children.

use serde_json::{Map, Value};

/// A row as JSON: column → value.
pub(super) type Fields = Map<String, Value>;

/// How one table is uploaded.
pub(super) struct Spec {
    pub(super) table: &'static str,
    /// Which rows of the file (a SQLite condition).
    pub(super) filter: &'static str,
    /// Columns holding the id of a row of another table (uploaded before this one).
    pub(super) refs: &'static [(&'static str, &'static str)],
    /// The shared database may already have the same thing under another id when these columns
    /// are equal (all TEXT); its id is then used instead of a copy. Tables keyed by `id` only.
    pub(super) same_as: &'static [&'static str],
    /// Only rows for which this holds are looked for, and only shared rows meeting `same_sql`.
    pub(super) same_when: fn(&Fields) -> bool,
    pub(super) same_sql: &'static str,
    /// JSON columns listing user ids.
    pub(super) user_lists: &'static [&'static str],
}

fn always(_: &Fields) -> bool {
    true
}

fn open_chat(row: &Fields) -> bool {
    row.get("state").and_then(Value::as_str) != Some("completed")
}

fn provider_message(row: &Fields) -> bool {
    row.get("provider_key").is_some_and(|key| !key.is_null())
}

const fn spec(table: &'static str) -> Spec {
    Spec {
        table,
        filter: "1",
        refs: &[],
        same_as: &[],
        same_when: always,
        same_sql: "TRUE",
        user_lists: &[],
    }
}

/// Every table the upload copies, parents before children: the change feed's tables
/// (`cache::SYNCED_TABLES`), the Telegram offsets (the shared poller continues from them) and the
/// routing decisions ("why did I get this chat").
pub(super) const TABLES: &[Spec] = &[
    spec("settings"),
    Spec {
        // The person at this desk is the uploading admin, already a shared user.
        filter: "is_local = 0",
        ..spec("users")
    },
    Spec {
        same_as: &["name"],
        ..spec("roles")
    },
    Spec {
        refs: &[("user_id", "users"), ("role_id", "roles")],
        ..spec("user_roles")
    },
    Spec {
        same_as: &["name"],
        ..spec("queues")
    },
    Spec {
        refs: &[("queue_id", "queues"), ("user_id", "users")],
        ..spec("queue_operators")
    },
    Spec {
        refs: &[("queue_id", "queues"), ("role_id", "roles")],
        ..spec("queue_roles")
    },
    Spec {
        refs: &[("queue_id", "queues")],
        same_as: &["name", "process", "queue_id"],
        ..spec("chat_actions")
    },
    Spec {
        refs: &[("queue_id", "queues")],
        same_as: &["provider", "external_id"],
        ..spec("channels")
    },
    Spec {
        refs: &[("channel_id", "channels")],
        ..spec("telegram_cursors")
    },
    Spec {
        refs: &[("channel_id", "channels")],
        same_as: &["channel_id", "provider_user_id"],
        ..spec("contacts")
    },
    Spec {
        refs: &[
            ("channel_id", "channels"),
            ("contact_id", "contacts"),
            ("queue_id", "queues"),
            ("operator_id", "users"),
        ],
        same_as: &["channel_id", "contact_id"],
        same_when: open_chat,
        same_sql: "t.state <> 'completed'",
        user_lists: &["excluded"],
        ..spec("chats")
    },
    Spec {
        refs: &[("chat_id", "chats"), ("user_id", "users")],
        ..spec("chat_offers")
    },
    Spec {
        refs: &[
            ("chat_id", "chats"),
            ("channel_id", "channels"),
            ("author_user_id", "users"),
        ],
        same_as: &["channel_id", "provider_key"],
        same_when: provider_message,
        same_sql: "t.provider_key IS NOT NULL",
        ..spec("messages")
    },
    Spec {
        refs: &[("message_id", "messages"), ("channel_id", "channels")],
        ..spec("attachments")
    },
    Spec {
        refs: &[("chat_id", "chats"), ("chosen_user_id", "users")],
        user_lists: &["candidates"],
        ..spec("routing_decisions")
    },
];
