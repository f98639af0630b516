//! Telegram's published send limits: about one message a second per chat and
//! about 30 a second per bot. Going faster earns 429s that pause the whole
//! bot, so the sender spaces sends itself. Pure: the sender asks when the next
//! send may go, sleeps until then, and records the send.

use std::collections::{HashMap, VecDeque};

use switchboard_engine::clock::Millis;

#[derive(Debug)]
pub struct RateLimiter {
    per_chat_gap: Millis,
    window: Millis,
    max_in_window: usize,
    /// Last send per chat, only for chats sent to within `per_chat_gap`.
    last_by_chat: HashMap<String, Millis>,
    /// The latest `max_in_window` sends, oldest first.
    recent: VecDeque<Millis>,
}

impl RateLimiter {
    pub fn new(per_chat_gap: Millis, max_in_window: usize, window: Millis) -> Self {
        Self {
            per_chat_gap,
            window,
            max_in_window: max_in_window.max(1),
            last_by_chat: HashMap::new(),
            recent: VecDeque::new(),
        }
    }

    /// 1 message/s per chat, 30 messages/s overall.
    pub fn telegram() -> Self {
        Self::new(1000, 30, 1000)
    }

    /// The earliest time (≥ `now`) a message to `chat` may be sent.
    pub fn next_allowed(&self, chat: &str, now: Millis) -> Millis {
        let chat_ready = self
            .last_by_chat
            .get(chat)
            .map_or(now, |last| last + self.per_chat_gap);
        let overall_ready = if self.recent.len() >= self.max_in_window {
            // The window must have moved past the oldest of the latest sends.
            self.recent[self.recent.len() - self.max_in_window] + self.window
        } else {
            now
        };
        now.max(chat_ready).max(overall_ready)
    }

    /// A message to `chat` went at `at`.
    pub fn record(&mut self, chat: &str, at: Millis) {
        self.recent.push_back(at);
        while self.recent.len() > self.max_in_window {
            self.recent.pop_front();
        }
        let gap = self.per_chat_gap;
        self.last_by_chat.retain(|_, last| *last + gap > at);
        self.last_by_chat.insert(chat.to_owned(), at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_engine::clock::{Clock, ManualClock};

    /// Sends as fast as the limiter allows, moving the clock as a sleep would.
    fn send_all(limiter: &mut RateLimiter, clock: &ManualClock, chats: &[&str]) -> Vec<Millis> {
        chats
            .iter()
            .map(|chat| {
                let at = limiter.next_allowed(chat, clock.now());
                clock.advance(at - clock.now());
                limiter.record(chat, clock.now());
                clock.now()
            })
            .collect()
    }

    #[test]
    fn messages_to_one_chat_go_a_second_apart() {
        let clock = ManualClock::at(10_000);
        let mut limiter = RateLimiter::telegram();
        let times = send_all(&mut limiter, &clock, &["a", "a", "a"]);
        assert_eq!(times, [10_000, 11_000, 12_000]);
    }

    #[test]
    fn other_chats_are_not_held_up_by_a_busy_one() {
        let clock = ManualClock::at(0);
        let mut limiter = RateLimiter::telegram();
        let times = send_all(&mut limiter, &clock, &["a", "b", "a", "c"]);
        assert_eq!(times, [0, 0, 1000, 1000]);
    }

    #[test]
    fn no_more_than_thirty_a_second_overall() {
        let clock = ManualClock::at(0);
        let mut limiter = RateLimiter::telegram();
        let chats: Vec<String> = (0..65).map(|i| format!("chat{i}")).collect();
        let chats: Vec<&str> = chats.iter().map(String::as_str).collect();
        let times = send_all(&mut limiter, &clock, &chats);
        assert!(times[..30].iter().all(|&t| t == 0));
        assert!(times[30..60].iter().all(|&t| t == 1000));
        assert!(times[60..].iter().all(|&t| t == 2000));
        // Any one-second window holds at most 30 sends.
        for (i, &t) in times.iter().enumerate() {
            let in_window = times[i..].iter().filter(|&&u| u < t + 1000).count();
            assert!(in_window <= 30, "{in_window} sends in the second from {t}");
        }
    }

    #[test]
    fn time_passing_frees_a_chat_without_a_send() {
        let clock = ManualClock::at(0);
        let mut limiter = RateLimiter::telegram();
        limiter.record("a", 0);
        assert_eq!(limiter.next_allowed("a", 400), 1000);
        clock.advance(5000);
        assert_eq!(limiter.next_allowed("a", clock.now()), 5000);
        // Old chats are forgotten, so the map does not grow without bound.
        limiter.record("b", 5000);
        assert_eq!(limiter.last_by_chat.len(), 1);
    }
}
