//! Simulated customers for the demo: now and then one of them writes to every bot.

use std::time::Duration;

use rand::seq::IndexedRandom;

use crate::telegram::{CustomerMessage, TelegramControl};

struct Persona {
    user_id: i64,
    first_name: &'static str,
    last_name: &'static str,
    username: Option<&'static str>,
}

const PERSONAS: [Persona; 3] = [
    Persona {
        user_id: 710_000_001,
        first_name: "Anna",
        last_name: "Petrova",
        username: Some("anna_petrova"),
    },
    Persona {
        user_id: 710_000_002,
        first_name: "Mark",
        last_name: "Jensen",
        username: None,
    },
    Persona {
        user_id: 710_000_003,
        first_name: "Li",
        last_name: "Wei",
        username: Some("liwei88"),
    },
];

const LINES: [&str; 10] = [
    "Hello! My order #48213 hasn't arrived yet, can you check where it is?",
    "Hi, I was charged twice for my subscription this month.",
    "Good afternoon, how do I change the delivery address on my order?",
    "Is the store on Main Street open on Sunday?",
    "I can't log in to my account, the reset email never comes.",
    "Can I return a jacket I bought two weeks ago? It doesn't fit.",
    "Hi there, do you ship to Norway?",
    "The app keeps crashing when I open my order history.",
    "Thanks for the quick help yesterday! One more question about the warranty.",
    "Hello, I'd like to cancel my appointment on Friday.",
];

/// Runs until aborted: a first message after about 3 s, then one every 20–40 s.
pub(crate) async fn run(telegram: TelegramControl) {
    tokio::time::sleep(Duration::from_secs(3)).await;
    loop {
        let (persona, line) = {
            let mut rng = rand::rng();
            (PERSONAS.choose(&mut rng), LINES.choose(&mut rng))
        };
        if let (Some(persona), Some(line)) = (persona, line) {
            for token in telegram.bot_tokens() {
                let message = CustomerMessage {
                    user_id: persona.user_id,
                    first_name: persona.first_name.to_owned(),
                    last_name: Some(persona.last_name.to_owned()),
                    username: persona.username.map(str::to_owned),
                    text: (*line).to_owned(),
                };
                match telegram.customer_writes(&token, message) {
                    Ok(_) => {
                        tracing::info!(customer = persona.first_name, "simulated customer wrote")
                    }
                    Err(error) => tracing::warn!(%error, "simulated customer could not write"),
                }
            }
        }
        let pause = rand::random_range(20..=40);
        tokio::time::sleep(Duration::from_secs(pause)).await;
    }
}
