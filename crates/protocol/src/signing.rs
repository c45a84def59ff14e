//! HMAC-SHA256 signing of webhooks, both directions.
//!
//! # Intake requests (bot platform → service): scheme v2
//!
//! The signed string binds the request to one method, one path and one moment:
//!
//! ```text
//! v2\n<unix seconds>\n<METHOD>\n<path and query as sent>\n<raw body>
//! ```
//!
//! `<path and query as sent>` is the request target exactly as it goes on the wire
//! (percent-encoding included, no scheme or host), e.g. `/v1/intake/conversations/wa-17/messages`.
//! The signature travels as `X-Handoff-Signature: v2=<64 hex digits>` beside
//! `X-Handoff-Timestamp: <unix seconds>`. See [`sign_v2`] and [`verify_v2`].
//!
//! A receiver accepts a timestamp at most [`REPLAY_WINDOW_SECS`] in the past and at most
//! [`MAX_FUTURE_SKEW_SECS`] in the future, and remembers the signatures it accepted inside that
//! window so the same signed request is taken only once (the service does this; see its
//! `intake` module).
//!
//! # Scheme v1 (deprecated for intake; still the outbound webhook scheme)
//!
//! `"<unix seconds>.<raw body>"`, sent as `X-Handoff-Signature: sha256=<hex>`. It does not cover
//! the method or the path, so a captured intake request could be moved to another
//! conversation's path. The service refuses v1 intake signatures unless it is started with
//! `--accept-v1-intake-signatures`; [`sign`] and [`verify`] keep the v1 scheme for the outbound
//! webhooks (service → platform), whose receiver URL is fixed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const TIMESTAMP_HEADER: &str = "X-Handoff-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Handoff-Signature";
pub const DELIVERY_HEADER: &str = "X-Handoff-Delivery";
/// How old a signed timestamp may be (and, for v1, how far either way it may lie from the
/// receiver's clock).
pub const REPLAY_WINDOW_SECS: i64 = 300;
/// How far ahead of the receiver's clock a v2 timestamp may be: enough for clock drift, too
/// little to keep a captured request valid long after the window of its real time.
pub const MAX_FUTURE_SKEW_SECS: i64 = 30;
/// The prefix of a v2 signature header value.
pub const V2_PREFIX: &str = "v2=";
/// The prefix of a v1 signature header value.
pub const V1_PREFIX: &str = "sha256=";

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    MissingTimestamp,
    MissingSignature,
    MalformedTimestamp,
    MalformedSignature,
    /// Older than the window, or (v1 only) as far in the future.
    Stale {
        skew_secs: i64,
    },
    /// More than [`MAX_FUTURE_SKEW_SECS`] ahead of the receiver's clock.
    FromTheFuture {
        ahead_secs: i64,
    },
    /// A v1 signature where only v2 is accepted.
    V1NotAccepted,
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
                write!(f, "{SIGNATURE_HEADER} must look like v2=<64 hex digits>")
            }
            Self::Stale { skew_secs } => write!(
                f,
                "the signed timestamp is {skew_secs} s away from the service's clock; \
                 requests older than {REPLAY_WINDOW_SECS} s are refused as replays"
            ),
            Self::FromTheFuture { ahead_secs } => write!(
                f,
                "the signed timestamp is {ahead_secs} s ahead of the service's clock; at most \
                 {MAX_FUTURE_SKEW_SECS} s are accepted: sync the sender's clock (NTP)"
            ),
            Self::V1NotAccepted => write!(
                f,
                "v1 signatures (sha256=…) are no longer accepted: sign \
                 \"v2\\n<timestamp>\\n<METHOD>\\n<path and query>\\n<raw body>\" and send \
                 {SIGNATURE_HEADER}: v2=<hex>"
            ),
            Self::Mismatch => write!(
                f,
                "the signature does not match the request; sign \
                 \"v2\\n<timestamp>\\n<METHOD>\\n<path and query>\\n<raw body>\" with HMAC-SHA256 \
                 and the shared secret"
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

fn hmac(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(secret).expect("HMAC takes any key length")
}

fn mac_v1(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = hmac(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The v2 canonical string of a request (see the module doc).
pub fn canonical_v2(timestamp: i64, method: &str, path_and_query: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + method.len() + path_and_query.len() + body.len());
    out.extend_from_slice(b"v2\n");
    out.extend_from_slice(timestamp.to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(method.to_ascii_uppercase().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(path_and_query.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

fn mac_v2(secret: &[u8], timestamp: i64, method: &str, path_and_query: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = hmac(secret);
    mac.update(&canonical_v2(timestamp, method, path_and_query, body));
    mac
}

/// The v1 signature header value for `body` signed at `timestamp` (`sha256=<hex>`): the outbound
/// webhook scheme, and the deprecated intake scheme.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("{V1_PREFIX}{}", hex::encode(mac_v1(secret, timestamp, body).finalize().into_bytes()))
}

/// Same as [`sign`]; the name says which scheme it is.
pub fn sign_v1(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    sign(secret, timestamp, body)
}

/// The v2 signature header value (`v2=<hex>`) of a request.
pub fn sign_v2(secret: &[u8], timestamp: i64, method: &str, path_and_query: &str, body: &[u8]) -> String {
    format!(
        "{V2_PREFIX}{}",
        hex::encode(mac_v2(secret, timestamp, method, path_and_query, body).finalize().into_bytes())
    )
}

fn parse_timestamp(header: Option<&str>) -> Result<i64, SignatureError> {
    header.ok_or(SignatureError::MissingTimestamp)?.trim().parse().map_err(|_| SignatureError::MalformedTimestamp)
}

fn parse_mac(hex_part: &str) -> Result<[u8; 32], SignatureError> {
    // Exactly 64 hex digits: anything else is refused before any decoding work.
    if hex_part.len() != 64 {
        return Err(SignatureError::MalformedSignature);
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).map_err(|_| SignatureError::MalformedSignature)?;
    Ok(out)
}

/// Checks the v1 header values against `body` at the receiver's time `now` (unix seconds);
/// timestamps up to [`REPLAY_WINDOW_SECS`] away either way pass. Used for outbound webhooks.
pub fn verify(
    secret: &[u8],
    timestamp_header: Option<&str>,
    signature_header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let timestamp = parse_timestamp(timestamp_header)?;
    let signature_header = signature_header.ok_or(SignatureError::MissingSignature)?;
    let hex_part = signature_header.trim().strip_prefix(V1_PREFIX).ok_or(SignatureError::MalformedSignature)?;
    let given = parse_mac(hex_part)?;
    let skew = now.saturating_sub(timestamp);
    if skew.saturating_abs() > REPLAY_WINDOW_SECS {
        return Err(SignatureError::Stale { skew_secs: skew });
    }
    let expected = mac_v1(secret, timestamp, body).finalize().into_bytes();
    if bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Which scheme a request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    V1,
    V2,
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub scheme: Scheme,
    pub timestamp: i64,
    /// The MAC: unique per signed request, so a receiver can remember it to refuse replays.
    pub mac: [u8; 32],
}

/// What [`verify_request`] accepts besides v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum V1Policy {
    /// v1 signatures are refused ([`SignatureError::V1NotAccepted`]).
    #[default]
    Refuse,
    /// v1 signatures are checked as v1 (deprecated compatibility).
    Accept,
}

/// Checks a signed request at the receiver's time `now` (unix seconds): v2 always, v1 only under
/// [`V1Policy::Accept`]. Both get the same time rule: at most [`REPLAY_WINDOW_SECS`] old and at
/// most [`MAX_FUTURE_SKEW_SECS`] ahead. Never panics, whatever the header strings.
// The arguments are the parts of one HTTP request; a struct for them would only be unpacked again.
#[allow(clippy::too_many_arguments)]
pub fn verify_request(
    secret: &[u8],
    timestamp_header: Option<&str>,
    signature_header: Option<&str>,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: i64,
    v1: V1Policy,
) -> Result<Verified, SignatureError> {
    let timestamp = parse_timestamp(timestamp_header)?;
    let signature_header = signature_header.ok_or(SignatureError::MissingSignature)?.trim();
    let (scheme, given) = if let Some(hex_part) = signature_header.strip_prefix(V2_PREFIX) {
        (Scheme::V2, parse_mac(hex_part)?)
    } else if let Some(hex_part) = signature_header.strip_prefix(V1_PREFIX) {
        let given = parse_mac(hex_part)?;
        if v1 == V1Policy::Refuse {
            return Err(SignatureError::V1NotAccepted);
        }
        (Scheme::V1, given)
    } else {
        return Err(SignatureError::MalformedSignature);
    };
    let age = now.saturating_sub(timestamp);
    if age > REPLAY_WINDOW_SECS {
        return Err(SignatureError::Stale { skew_secs: age });
    }
    if age < -MAX_FUTURE_SKEW_SECS {
        return Err(SignatureError::FromTheFuture { ahead_secs: age.saturating_neg() });
    }
    let expected = match scheme {
        Scheme::V2 => mac_v2(secret, timestamp, method, path_and_query, body).finalize().into_bytes(),
        Scheme::V1 => mac_v1(secret, timestamp, body).finalize().into_bytes(),
    };
    if bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(Verified { scheme, timestamp, mac: given })
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// [`verify_request`] for v2 signatures only.
pub fn verify_v2(
    secret: &[u8],
    timestamp_header: Option<&str>,
    signature_header: Option<&str>,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: i64,
) -> Result<Verified, SignatureError> {
    verify_request(secret, timestamp_header, signature_header, method, path_and_query, body, now, V1Policy::Refuse)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PATH: &str = "/v1/intake/conversations/wa-1/messages";

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

    #[test]
    fn the_v2_canonical_string_is_the_documented_one() {
        assert_eq!(
            canonical_v2(1_700_000_000, "post", "/v1/x?a=1", b"{}"),
            b"v2\n1700000000\nPOST\n/v1/x?a=1\n{}".to_vec()
        );
        // From `printf 'v2\n1700000000\nPOST\n/v1/x?a=1\n{}' | openssl dgst -sha256 -hmac k`, so
        // an implementation in another language can check itself against the same figure.
        assert_eq!(
            sign_v2(b"k", 1_700_000_000, "POST", "/v1/x?a=1", b"{}"),
            "v2=56792dd1253cb63bae97eb53b35c20b23426f253d951e5b79bcb921e88b9330c"
        );
    }

    #[test]
    fn v2_binds_method_path_query_and_body() {
        let now = 1_700_000_000;
        let sig = sign_v2(b"k", now, "POST", PATH, b"{}");
        let check = |method: &str, path: &str, body: &[u8]| {
            verify_v2(b"k", Some(&now.to_string()), Some(&sig), method, path, body, now).map(|v| v.scheme)
        };
        assert_eq!(check("POST", PATH, b"{}"), Ok(Scheme::V2));
        assert_eq!(check("post", PATH, b"{}"), Ok(Scheme::V2), "the method is compared upper-case");
        assert_eq!(check("PUT", PATH, b"{}"), Err(SignatureError::Mismatch));
        assert_eq!(check("POST", "/v1/intake/conversations/wa-2/messages", b"{}"), Err(SignatureError::Mismatch));
        assert_eq!(check("POST", &format!("{PATH}?x=1"), b"{}"), Err(SignatureError::Mismatch));
        assert_eq!(check("POST", PATH, b"{ }"), Err(SignatureError::Mismatch));
    }

    #[test]
    fn v2_allows_thirty_seconds_of_future_skew_and_five_minutes_of_age() {
        let now = 1_700_000_000;
        let at = |t: i64| {
            let sig = sign_v2(b"k", t, "POST", PATH, b"x");
            verify_v2(b"k", Some(&t.to_string()), Some(&sig), "POST", PATH, b"x", now).map(|_| ())
        };
        assert_eq!(at(now + 29), Ok(()));
        assert_eq!(at(now + 30), Ok(()));
        assert_eq!(at(now + 31), Err(SignatureError::FromTheFuture { ahead_secs: 31 }));
        assert_eq!(at(now + 299), Err(SignatureError::FromTheFuture { ahead_secs: 299 }));
        assert_eq!(at(now - 300), Ok(()));
        assert_eq!(at(now - 301), Err(SignatureError::Stale { skew_secs: 301 }));
    }

    #[test]
    fn v1_is_refused_unless_the_policy_accepts_it() {
        let now = 1_700_000_000;
        let sig = sign_v1(b"k", now, b"x");
        let ts = now.to_string();
        let check = |policy| verify_request(b"k", Some(&ts), Some(&sig), "POST", PATH, b"x", now, policy);
        assert_eq!(check(V1Policy::Refuse), Err(SignatureError::V1NotAccepted));
        assert_eq!(check(V1Policy::Accept).map(|v| v.scheme), Ok(Scheme::V1));
        // v1 under the request rule gets the same 30 s future limit.
        let ahead = now + 31;
        let sig = sign_v1(b"k", ahead, b"x");
        assert_eq!(
            verify_request(b"k", Some(&ahead.to_string()), Some(&sig), "POST", PATH, b"x", now, V1Policy::Accept),
            Err(SignatureError::FromTheFuture { ahead_secs: 31 })
        );
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        for signed_at in [i64::MIN, 0, i64::MAX] {
            let sig = sign_v2(b"k", signed_at, "POST", PATH, b"");
            for claimed in [i64::MIN, 0, i64::MAX] {
                for now in [i64::MIN, 0, i64::MAX] {
                    let result = verify_v2(b"k", Some(&claimed.to_string()), Some(&sig), "POST", PATH, b"", now);
                    assert_eq!(result.is_ok(), signed_at == claimed && claimed == now, "{signed_at} {claimed} {now}");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Arbitrary header strings never panic and never verify.
        #[test]
        fn arbitrary_headers_never_verify(
            timestamp in proptest::option::of(".{0,40}"),
            signature in proptest::option::of(".{0,100}"),
            method in "[A-Za-z]{0,8}",
            path in ".{0,60}",
            body in proptest::collection::vec(any::<u8>(), 0..200),
            now in any::<i64>(),
            accept_v1 in any::<bool>(),
        ) {
            let policy = if accept_v1 { V1Policy::Accept } else { V1Policy::Refuse };
            let result = verify_request(
                b"secret", timestamp.as_deref(), signature.as_deref(), &method, &path, &body, now, policy,
            );
            prop_assert!(result.is_err(), "{result:?}");
            let _ = verify(b"secret", timestamp.as_deref(), signature.as_deref(), &body, now);
        }

        /// Headers shaped like the real thing (right prefix, 64 hex digits) still do not verify
        /// unless they are the signature of exactly this request.
        #[test]
        fn only_the_correct_signature_verifies(
            hex_digits in "[0-9a-fA-F]{64}",
            offset in -400i64..400,
            path in "/[a-z0-9/%?=&-]{0,40}",
            body in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let now = 1_700_000_000;
            let ts = now + offset;
            let forged = format!("v2={hex_digits}");
            let good = sign_v2(b"secret", ts, "POST", &path, &body);
            let forged_result = verify_v2(b"secret", Some(&ts.to_string()), Some(&forged), "POST", &path, &body, now);
            prop_assert!(forged_result.is_err() || forged.eq_ignore_ascii_case(&good));
            let good_result = verify_v2(b"secret", Some(&ts.to_string()), Some(&good), "POST", &path, &body, now);
            let in_window = (-REPLAY_WINDOW_SECS..=MAX_FUTURE_SKEW_SECS).contains(&offset);
            prop_assert_eq!(good_result.is_ok(), in_window);
            // The same signature for another path, method or secret never verifies.
            let other_path = format!("{path}x");
            prop_assert!(verify_v2(b"secret", Some(&ts.to_string()), Some(&good), "POST", &other_path, &body, now).is_err());
            prop_assert!(verify_v2(b"secret", Some(&ts.to_string()), Some(&good), "PUT", &path, &body, now).is_err());
            prop_assert!(verify_v2(b"other", Some(&ts.to_string()), Some(&good), "POST", &path, &body, now).is_err());
        }
    }
}
