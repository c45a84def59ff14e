//! `handoff snooze --until`: when a snooze ends, written the few ways people type it. Times of
//! day are this computer's local time.
//!
//! - `30m`, `2h`, `1d` — from now (minutes, hours, days);
//! - `17:30` — the next time the clock shows it (today, else tomorrow);
//! - `today 17:30`, `tomorrow 09:00`;
//! - RFC 3339, e.g. `2026-11-25T14:00:00+01:00` or `2026-11-25T13:00:00Z`.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

const FORMS: &str =
    "30m, 2h, 1d, 17:30, today 17:30, tomorrow 09:00, or an RFC 3339 time like 2026-11-25T14:00:00+01:00";

/// The instant `text` means at `now` (in `now`'s time zone).
pub fn parse_until<Tz: TimeZone>(text: &str, now: &DateTime<Tz>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let invalid = || format!("`{text}` is not a time to snooze until: use {FORMS}");
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant.to_utc());
    }
    if let Some(duration) = relative(text) {
        return Ok(now.to_utc() + duration.ok_or_else(invalid)?);
    }
    let lower = text.to_lowercase();
    let (day, time) = match lower.split_once(char::is_whitespace) {
        Some(("today", time)) => (Some(0), time.trim()),
        Some(("tomorrow", time)) => (Some(1), time.trim()),
        Some(_) => return Err(invalid()),
        None => (None, lower.as_str()),
    };
    let time = NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| invalid())?;
    let today = now.date_naive();
    let at = |days: i64| {
        let local = (today + Duration::days(days)).and_time(time);
        // A time skipped by a daylight-saving change moves an hour later.
        let zone = now.timezone();
        zone.from_local_datetime(&local)
            .earliest()
            .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
            .map(|t| t.to_utc())
    };
    let instant = match day {
        Some(days) => at(days),
        None => at(0).filter(|t| *t > now.to_utc()).or_else(|| at(1)),
    };
    instant.ok_or_else(invalid)
}

/// `30m`, `2h`, `1d`: None when `text` is not of that form, Some(None) when the number is out
/// of range.
fn relative(text: &str) -> Option<Option<Duration>> {
    let unit = text.chars().last()?;
    let number = &text[..text.len() - unit.len_utf8()];
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = match number.parse() {
        Ok(n) if n > 0 && n <= 100_000 => n,
        _ => return Some(None),
    };
    match unit.to_ascii_lowercase() {
        'm' => Some(Some(Duration::minutes(n))),
        'h' => Some(Some(Duration::hours(n))),
        'd' => Some(Some(Duration::days(n))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn local(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).expect("a test instant")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        local(text).to_utc()
    }

    #[test]
    fn every_documented_form_parses() {
        let now = local("2026-11-25T10:00:00+01:00");
        assert_eq!(parse_until("30m", &now), Ok(utc("2026-11-25T10:30:00+01:00")));
        assert_eq!(parse_until("2h", &now), Ok(utc("2026-11-25T12:00:00+01:00")));
        assert_eq!(parse_until("1d", &now), Ok(utc("2026-11-26T10:00:00+01:00")));
        assert_eq!(parse_until("17:30", &now), Ok(utc("2026-11-25T17:30:00+01:00")));
        assert_eq!(parse_until("09:00", &now), Ok(utc("2026-11-26T09:00:00+01:00")), "passed today: tomorrow");
        assert_eq!(parse_until("today 17:30", &now), Ok(utc("2026-11-25T17:30:00+01:00")));
        assert_eq!(parse_until("Tomorrow 09:00", &now), Ok(utc("2026-11-26T09:00:00+01:00")));
        assert_eq!(parse_until("2026-11-25T13:00:00Z", &now), Ok(utc("2026-11-25T14:00:00+01:00")));
    }

    #[test]
    fn anything_else_says_what_to_type() {
        let now = local("2026-11-25T10:00:00+01:00");
        for bad in ["soon", "30", "m", "0m", "-5m", "25:00", "next week", "monday 09:00", "999999999h"] {
            let error = parse_until(bad, &now).unwrap_err();
            assert!(error.contains("tomorrow 09:00"), "{bad}: {error}");
        }
    }
}
