//! What a standalone file holds (the offer) and what an upload added (the result), in words.

use std::collections::BTreeMap;

/// What a standalone file holds, for the offer ("Upload this desktop's data").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StandaloneCounts {
    pub channels: u64,
    pub queues: u64,
    /// People other than the one at this desk.
    pub operators: u64,
    pub roles: u64,
    pub chats: u64,
    pub messages: u64,
}

impl StandaloneCounts {
    /// More than a fresh install has (its only queue, the preset action and default settings).
    pub fn worth_uploading(&self) -> bool {
        self.channels + self.operators + self.roles + self.chats + self.messages > 0
            || self.queues > 1
    }
}

/// What an upload added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadReport {
    /// New rows per table (tables that added none are absent).
    pub added: BTreeMap<&'static str, u64>,
    /// Settings the shared database already had with another value: its value was kept.
    pub kept_settings: Vec<String>,
    /// Every channel of the standalone file → its id in the shared database (the same id unless
    /// the shared database already had that bot or page).
    pub channels: Vec<(String, String)>,
}

impl UploadReport {
    pub fn added(&self, table: &str) -> u64 {
        self.added.get(table).copied().unwrap_or(0)
    }

    /// The result for the admin, e.g. "Uploaded 2 channels, 3 queues, 140 chats and 2,311
    /// messages."
    pub fn sentence(&self) -> String {
        let parts: Vec<String> = [
            ("channels", "channel", "channels"),
            ("queues", "queue", "queues"),
            ("users", "operator", "operators"),
            ("roles", "role", "roles"),
            ("chats", "chat", "chats"),
            ("messages", "message", "messages"),
        ]
        .iter()
        .filter(|(table, _, _)| self.added(table) > 0)
        .map(|(table, one, many)| {
            let n = self.added(table);
            format!("{} {}", thousands(n), if n == 1 { one } else { many })
        })
        .collect();
        let mut sentence = match parts.as_slice() {
            [] if self.added.is_empty() => {
                "Nothing new to upload: the shared database already had this desktop's data."
                    .to_owned()
            }
            [] if self.added.keys().all(|table| *table == "settings") => {
                "Uploaded this desktop's settings.".to_owned()
            }
            [] => "Uploaded what the shared database did not have yet.".to_owned(),
            [only] => format!("Uploaded {only}."),
            [first @ .., last] => format!("Uploaded {} and {last}.", first.join(", ")),
        };
        match self.kept_settings.as_slice() {
            [] => {}
            [one] => sentence.push_str(&format!(
                " The shared database's own value of the setting {one} was kept."
            )),
            [first @ .., last] => sentence.push_str(&format!(
                " The shared database's own values of the settings {} and {last} were kept.",
                first.join(", ")
            )),
        }
        sentence
    }
}

/// 2311 → "2,311".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_is_a_sentence() {
        let mut report = UploadReport::default();
        assert_eq!(
            report.sentence(),
            "Nothing new to upload: the shared database already had this desktop's data."
        );
        report.added.insert("channels", 2);
        report.added.insert("queues", 3);
        report.added.insert("chats", 140);
        report.added.insert("messages", 2311);
        report.added.insert("contacts", 100);
        assert_eq!(
            report.sentence(),
            "Uploaded 2 channels, 3 queues, 140 chats and 2,311 messages."
        );
        report.kept_settings = vec!["SimultaneousChats".into()];
        report.added.clear();
        report.added.insert("users", 1);
        assert_eq!(
            report.sentence(),
            "Uploaded 1 operator. The shared database's own value of the setting \
             SimultaneousChats was kept."
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
