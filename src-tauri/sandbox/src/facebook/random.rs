//! Random identifiers shaped like Meta's: tokens (`EAA…`), codes, trace ids, numeric ids.

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn pick(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rand::random_range(0..alphabet.len())]))
        .collect()
}

/// `A` + 22 URL-safe characters, like `A9xnjd1iwrUx8qFJt1sld_Q`.
pub fn fbtrace_id() -> String {
    format!("A{}", pick(URL_SAFE, 22))
}

/// An access token: `EAA` followed by letters and digits, about as long as Meta's.
pub fn access_token() -> String {
    format!("EAA{}", pick(ALPHANUMERIC, 180))
}

/// An authorization code (`AQ…`, URL-safe, single use).
pub fn auth_code() -> String {
    format!("AQ{}", pick(URL_SAFE, 220))
}

/// A dialog session id for the HTML forms.
pub fn session_id() -> String {
    pick(ALPHANUMERIC, 32)
}

/// A numeric object id of 15 digits (users, pages).
pub fn numeric_id() -> String {
    let first = rand::random_range(1..=9u8);
    format!("{first}{}", pick(b"0123456789", 14))
}

/// True for strings that look like one of our access tokens.
pub fn looks_like_token(token: &str) -> bool {
    token.len() > 3 && token.starts_with("EAA") && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A Messenger message id: `m_` and URL-safe characters, like Meta's.
pub fn mid() -> String {
    format!("m_{}", pick(URL_SAFE, 86))
}

/// A 16-digit numeric id (PSIDs, attachment ids).
pub fn long_numeric_id() -> String {
    let first = rand::random_range(1..=9u8);
    format!("{first}{}", pick(b"0123456789", 15))
}
