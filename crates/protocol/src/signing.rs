//! HMAC-SHA256 signing of webhook bodies, both directions.
//!
//! The signed string is `"<unix seconds>.<raw body>"`; the signature travels as
//! `X-Handoff-Signature: sha256=<hex>` beside `X-Handoff-Timestamp: <unix seconds>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const TIMESTAMP_HEADER: &str = "X-Handoff-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Handoff-Signature";
pub const DELIVERY_HEADER: &str = "X-Handoff-Delivery";
/// How far a signed timestamp may lie from the receiver's clock, either way.
pub const REPLAY_WINDOW_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    MissingTimestamp,
    MissingSignature,
    MalformedTimestamp,
    MalformedSignature,
    Stale { skew_secs: i64 },
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingTimestamp => write!(f, "the {TIMESTAMP_HEADER} header is missing"),
            Self::MissingSignature => write!(f, "the {SIGNATURE_HEADER} header is missing"),
            Self::MalformedTimestamp => {
                write!(f, "{TIMESTAMP_HEADER} must be the current time in unix seconds")
            }
            Self::MalformedSignature => {
                write!(f, "{SIGNATURE_HEADER} must look like sha256=<64 hex digits>")
            }
            Self::Stale { skew_secs } => write!(
                f,
                "the signed timestamp is {skew_secs} s away from the service's clock; \
                 requests older than {REPLAY_WINDOW_SECS} s are refused as replays"
            ),
            Self::Mismatch => write!(
                f,
                "the signature does not match the body; sign \"<timestamp>.<raw body>\" \
                 with HMAC-SHA256 and the shared secret"
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The value of the signature header for `body` signed at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Checks the two header values against `body` at the receiver's time `now` (unix seconds).
pub fn verify(
    secret: &[u8],
    timestamp_header: Option<&str>,
    signature_header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let timestamp_header = timestamp_header.ok_or(SignatureError::MissingTimestamp)?;
    let signature_header = signature_header.ok_or(SignatureError::MissingSignature)?;
    let timestamp: i64 = timestamp_header.trim().parse().map_err(|_| SignatureError::MalformedTimestamp)?;
    let hex_part = signature_header.trim().strip_prefix("sha256=").ok_or(SignatureError::MalformedSignature)?;
    let given = hex::decode(hex_part).map_err(|_| SignatureError::MalformedSignature)?;
    if given.len() != 32 {
        return Err(SignatureError::MalformedSignature);
    }
    let skew = now.saturating_sub(timestamp);
    if skew.abs() > REPLAY_WINDOW_SECS {
        return Err(SignatureError::Stale { skew_secs: skew });
    }
    let expected = mac(secret, timestamp, body).finalize().into_bytes();
    if bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trips_and_rejects_tampering() {
        let sig = sign(b"secret", 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        let ok = verify(b"secret", Some("1700000000"), Some(&sig), b"{\"a\":1}", 1_700_000_010);
        assert_eq!(ok, Ok(()));
        let tampered = verify(b"secret", Some("1700000000"), Some(&sig), b"{\"a\":2}", 1_700_000_010);
        assert_eq!(tampered, Err(SignatureError::Mismatch));
        let wrong_key = verify(b"other", Some("1700000000"), Some(&sig), b"{\"a\":1}", 1_700_000_010);
        assert_eq!(wrong_key, Err(SignatureError::Mismatch));
    }

    #[test]
    fn stale_and_malformed_headers_are_refused() {
        let sig = sign(b"k", 100, b"x");
        assert_eq!(
            verify(b"k", Some("100"), Some(&sig), b"x", 100 + REPLAY_WINDOW_SECS + 1),
            Err(SignatureError::Stale { skew_secs: REPLAY_WINDOW_SECS + 1 })
        );
        assert_eq!(verify(b"k", None, Some(&sig), b"x", 100), Err(SignatureError::MissingTimestamp));
        assert_eq!(verify(b"k", Some("100"), None, b"x", 100), Err(SignatureError::MissingSignature));
        assert_eq!(verify(b"k", Some("soon"), Some(&sig), b"x", 100), Err(SignatureError::MalformedTimestamp));
        assert_eq!(verify(b"k", Some("100"), Some("md5=abc"), b"x", 100), Err(SignatureError::MalformedSignature));
    }
}
