//! `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body with the
//! app secret. Checked over the bytes as received — Meta escapes non-ASCII as
//! `\uXXXX`, so JSON re-encoded by anyone would not match — and compared in
//! constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

type HmacSha256 = Hmac<Sha256>;

/// Why a POST was refused; logged, never sent back in detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureProblem {
    Missing,
    Malformed,
    Mismatch,
}

impl SignatureProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "no X-Hub-Signature-256 header",
            Self::Malformed => "a malformed X-Hub-Signature-256 header",
            Self::Mismatch => "an X-Hub-Signature-256 that does not match the body",
        }
    }
}

/// Checks `header` (the raw header value, if any) against `body`.
pub fn check(
    app_secret: &[u8],
    header: Option<&[u8]>,
    body: &[u8],
) -> Result<(), SignatureProblem> {
    let header = header.ok_or(SignatureProblem::Missing)?;
    let hex_digest = header
        .strip_prefix(b"sha256=")
        .ok_or(SignatureProblem::Malformed)?;
    let mut claimed = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut claimed).map_err(|_| SignatureProblem::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&claimed)
        .map_err(|_| SignatureProblem::Mismatch)
}

/// The header value Meta would send for `body` (tests, the bench, the sandbox).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Constant-time equality of two secrets of any length: both are first
/// reduced to fixed-size MACs, so neither the content nor the length of the
/// expected value leaks through timing.
pub fn secrets_equal(expected: &[u8], given: &[u8]) -> bool {
    let digest = |value: &[u8]| {
        let mut mac = HmacSha256::new_from_slice(b"switchboard-relay secret comparison")
            .expect("HMAC takes keys of any length");
        mac.update(value);
        mac.finalize()
    };
    // `CtOutput`'s equality is constant time.
    digest(expected) == digest(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_with_the_secret_passes() {
        let header = sign(b"secret", b"{}");
        assert_eq!(check(b"secret", Some(header.as_bytes()), b"{}"), Ok(()));
    }

    #[test]
    fn wrong_missing_or_malformed_signatures_fail() {
        let other = sign(b"other", b"{}");
        assert_eq!(
            check(b"secret", Some(other.as_bytes()), b"{}"),
            Err(SignatureProblem::Mismatch)
        );
        assert_eq!(
            check(b"secret", None, b"{}"),
            Err(SignatureProblem::Missing)
        );
        for bad in ["sha1=00", "sha256=zz", "sha256=abcd", "", "sha256="] {
            assert_eq!(
                check(b"secret", Some(bad.as_bytes()), b"{}"),
                Err(SignatureProblem::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn secrets_compare_by_content() {
        assert!(secrets_equal(b"token", b"token"));
        assert!(!secrets_equal(b"token", b"token2"));
        assert!(!secrets_equal(b"token", b""));
    }
}
