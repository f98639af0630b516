/// Telegram's limit for one text message, in UTF-16 code units after entity
/// parsing; we count UTF-16 units, which is never more lenient.
pub const TELEGRAM_TEXT_LIMIT: usize = 4096;

/// Splits a long text into parts Telegram accepts, preferring to break after a
/// newline, then after a space, and never inside a character.
pub fn split_for_telegram(text: &str) -> Vec<&str> {
    split_at_most(text, TELEGRAM_TEXT_LIMIT)
}

fn split_at_most(text: &str, limit: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while utf16_len(rest) > limit {
        // Byte index of the longest prefix within the limit.
        let mut units = 0;
        let mut hard_end = 0;
        for (i, ch) in rest.char_indices() {
            units += ch.len_utf16();
            if units > limit {
                break;
            }
            hard_end = i + ch.len_utf8();
        }
        let window = &rest[..hard_end];
        let end = window
            .rfind('\n')
            .or_else(|| window.rfind(' '))
            .map(|i| i + 1)
            .filter(|&i| i > hard_end / 2)
            .unwrap_or(hard_end);
        parts.push(&rest[..end]);
        rest = &rest[end..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest);
    }
    parts
}

fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_for_telegram("Hello"), vec!["Hello"]);
    }

    #[test]
    fn long_text_splits_at_the_last_space_and_loses_nothing() {
        let text = format!("{} {}", "a".repeat(4000), "b".repeat(200));
        let parts = split_for_telegram(&text);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 4001);
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn every_part_fits_in_utf16_units_even_with_emoji() {
        let text = "😀".repeat(5000); // 2 UTF-16 units each, no spaces
        let parts = split_for_telegram(&text);
        assert!(parts.iter().all(|p| utf16_len(p) <= TELEGRAM_TEXT_LIMIT));
        assert_eq!(parts.concat(), text);
        assert_eq!(parts.len(), 3);
    }
}
