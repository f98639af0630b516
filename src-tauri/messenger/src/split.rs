//! Long texts in parts Messenger accepts.

use unicode_segmentation::UnicodeSegmentation;

/// Messenger's limit for one text message: 2000 characters. Counted here in
/// UTF-16 code units, which is never more lenient than counting characters
/// (an emoji is one character and two units).
pub const MESSENGER_TEXT_LIMIT: usize = 2000;

/// Splits a text into parts of at most [`MESSENGER_TEXT_LIMIT`], preferring to
/// break after a newline, then after other whitespace, and never inside a
/// grapheme (an emoji with its modifiers, a letter with its accents). The
/// parts concatenate back to the text.
pub fn split_for_messenger(text: &str) -> Vec<&str> {
    split_at_most(text, MESSENGER_TEXT_LIMIT)
}

pub(crate) fn split_at_most(text: &str, limit: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while utf16_len(rest) > limit {
        // The longest run of whole graphemes within the limit, and the last
        // newline and whitespace graphemes in it (their ends, in bytes).
        let (mut units, mut hard_end) = (0, 0);
        let (mut after_newline, mut after_space) = (None, None);
        for (i, grapheme) in rest.grapheme_indices(true) {
            units += utf16_len(grapheme);
            if units > limit {
                break;
            }
            hard_end = i + grapheme.len();
            if grapheme.contains('\n') {
                after_newline = Some(hard_end);
            } else if grapheme.chars().all(char::is_whitespace) {
                after_space = Some(hard_end);
            }
        }
        if hard_end == 0 {
            // One grapheme longer than the limit (pathological combining
            // marks): it has to be cut between characters.
            hard_end = rest
                .char_indices()
                .scan(0, |units, (i, ch)| {
                    *units += ch.len_utf16();
                    (*units <= limit).then_some(i + ch.len_utf8())
                })
                .last()
                .unwrap_or(rest.chars().next().map_or(0, char::len_utf8));
        }
        // A break point only counts when it keeps parts reasonably full.
        let end = after_newline
            .filter(|&i| i > hard_end / 2)
            .or(after_space.filter(|&i| i > hard_end / 2))
            .unwrap_or(hard_end);
        parts.push(&rest[..end]);
        rest = &rest[end..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest);
    }
    parts
}

pub(crate) fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_short_text_is_one_part() {
        assert_eq!(split_for_messenger("Hello"), ["Hello"]);
        assert_eq!(split_for_messenger(""), [""]);
        let exact = "a".repeat(2000);
        assert_eq!(split_for_messenger(&exact), [exact.as_str()]);
    }

    #[test]
    fn a_long_text_breaks_after_the_last_newline_then_the_last_space() {
        let text = format!(
            "{}\n{} {}",
            "a".repeat(1200),
            "b".repeat(600),
            "c".repeat(600)
        );
        let parts = split_for_messenger(&text);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 1201, "after the newline");
        assert_eq!(parts.concat(), text);

        let text = format!("{} {}", "a".repeat(1990), "b".repeat(100));
        assert_eq!(split_for_messenger(&text)[0].len(), 1991, "after the space");
    }

    #[test]
    fn an_early_break_point_is_ignored_for_fuller_parts() {
        let text = format!("ab {}", "c".repeat(2500));
        let parts = split_for_messenger(&text);
        assert_eq!(utf16_len(parts[0]), 2000);
    }

    #[test]
    fn an_emoji_family_is_never_cut() {
        // 11 UTF-16 units, one grapheme.
        let family = "👨‍👩‍👧‍👦";
        let text = family.repeat(300);
        let parts = split_for_messenger(&text);
        for part in &parts {
            assert!(utf16_len(part) <= MESSENGER_TEXT_LIMIT);
            assert_eq!(part.len() % family.len(), 0, "cut inside a family");
        }
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn a_grapheme_longer_than_the_limit_is_cut_between_characters() {
        let text = format!("e{}", "\u{301}".repeat(30));
        let parts = split_at_most(&text, 10);
        assert!(parts.iter().all(|p| utf16_len(p) <= 10));
        assert_eq!(parts.concat(), text);
    }

    proptest! {
        #[test]
        fn parts_fit_and_lose_nothing(text in "(\\PC|\n| ){0,700}", limit in 5usize..60) {
            let parts = split_at_most(&text, limit);
            prop_assert_eq!(parts.concat(), text.clone());
            for part in &parts {
                prop_assert!(utf16_len(part) <= limit);
                prop_assert!(!part.is_empty() || text.is_empty());
            }
        }
    }
}
