//! Bot tokens: `<bot_id>:<secret>`, as @BotFather issues them.

use crate::SandboxError;

/// Checks the `<bot_id>:<secret>` shape and returns the bot id.
pub fn parse_token(token: &str) -> Result<i64, SandboxError> {
    let invalid = |reason| SandboxError::InvalidToken {
        token: token.to_owned(),
        reason,
    };
    let (id, secret) = token
        .split_once(':')
        .ok_or_else(|| invalid("expected <bot_id>:<secret>"))?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || id.starts_with('0') {
        return Err(invalid("the bot id before ':' must be a positive number"));
    }
    let id: i64 = id
        .parse()
        .map_err(|_| invalid("the bot id before ':' is too large"))?;
    let secret_ok = secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if secret.is_empty() || !secret_ok {
        return Err(invalid(
            "the secret after ':' must be non-empty letters, digits, '_' or '-'",
        ));
    }
    Ok(id)
}
