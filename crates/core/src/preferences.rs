//! Per-profile preferences of the handoff workflow that the UI edits as one record each: the
//! waiting-timer thresholds of the queue, the service targets (first-response SLA), and the
//! weekly review (flag share and reminder).

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};

/// When a waiting customer's timer turns amber (`warn_minutes`) and red (`urgent_minutes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WaitThresholds {
    pub warn_minutes: u32,
    pub urgent_minutes: u32,
}

impl Default for WaitThresholds {
    fn default() -> Self {
        Self { warn_minutes: 2, urgent_minutes: 5 }
    }
}

impl WaitThresholds {
    pub fn validate(&self) -> CoreResult<()> {
        if self.warn_minutes == 0 || self.urgent_minutes > 24 * 60 {
            return Err(CoreError::Invalid("wait thresholds go from 1 minute to 1440 minutes (a day)".into()));
        }
        if self.warn_minutes >= self.urgent_minutes {
            return Err(CoreError::Invalid(format!(
                "the urgent threshold ({} min) must come after the warning one ({} min)",
                self.urgent_minutes, self.warn_minutes
            )));
        }
        Ok(())
    }
}

/// The settings key of [`ServiceTargets`] (the queue reads it with the rows it orders).
pub(crate) const SERVICE_TARGETS_SETTING: &str = "service_targets";

/// The team's service targets on this profile: how soon a handed-off customer should get a first
/// answer from a person.
///
/// A conversation's first-response deadline is `escalated_at + first_response_minutes`, as long
/// as no public agent line was written at or after `escalated_at`; it applies to waiting
/// conversations and to assigned ones not yet answered. A re-escalation starts a new deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct ServiceTargets {
    /// Minutes from the handoff to the first agent reply; 0 turns the target off.
    pub first_response_minutes: u32,
    /// The deadline turns amber when less than this percentage of the target remains, and red
    /// once it has passed.
    pub amber_percent: u32,
}

impl Default for ServiceTargets {
    fn default() -> Self {
        Self { first_response_minutes: 5, amber_percent: 40 }
    }
}

/// How close a first-response deadline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TargetLevel {
    Ok,
    Amber,
    /// Overdue.
    Red,
}

impl ServiceTargets {
    pub fn validate(&self) -> CoreResult<()> {
        if self.first_response_minutes > 7 * 24 * 60 {
            return Err(CoreError::Invalid(
                "the first-response target goes up to 10080 minutes (a week); 0 turns it off".into(),
            ));
        }
        if !(1..=99).contains(&self.amber_percent) {
            return Err(CoreError::Invalid(
                "amber starts when 1% to 99% of the target remains; 40% is the default".into(),
            ));
        }
        Ok(())
    }

    pub fn enabled(&self) -> bool {
        self.first_response_minutes > 0
    }

    pub fn first_response(&self) -> Duration {
        Duration::minutes(i64::from(self.first_response_minutes))
    }

    /// The colour of a deadline at `now` (what the queue's SLA badge shows).
    pub fn level(&self, due_at: DateTime<chrono::Utc>, now: DateTime<chrono::Utc>) -> TargetLevel {
        let remaining = due_at - now;
        if remaining <= Duration::zero() {
            TargetLevel::Red
        } else if remaining.num_milliseconds() * 100
            < self.first_response().num_milliseconds() * i64::from(self.amber_percent)
        {
            TargetLevel::Amber
        } else {
            TargetLevel::Ok
        }
    }
}

/// The review of handoffs: which share flags a group of questions, and the weekly reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewPrefs {
    /// A group of questions at or above this percentage of the period's handoffs is flagged.
    pub flag_percent: u32,
    pub reminder_enabled: bool,
    /// Day of the reminder, 0 = Monday … 6 = Sunday.
    pub reminder_weekday: u32,
    /// Local time of the reminder, "HH:MM".
    pub reminder_time: String,
}

impl Default for ReviewPrefs {
    fn default() -> Self {
        Self { flag_percent: 20, reminder_enabled: true, reminder_weekday: 0, reminder_time: "09:00".into() }
    }
}

/// A reminder missed by more than this (the computer was off) is skipped, not shown late.
const REMINDER_GRACE_HOURS: i64 = 12;

impl ReviewPrefs {
    pub fn validate(&self) -> CoreResult<()> {
        if !(1..=100).contains(&self.flag_percent) {
            return Err(CoreError::Invalid("flag groups at a share from 1% to 100%".into()));
        }
        if self.reminder_weekday > 6 {
            return Err(CoreError::Invalid("the reminder day is 0 (Monday) to 6 (Sunday)".into()));
        }
        self.time()?;
        Ok(())
    }

    pub fn flag_share(&self) -> f64 {
        f64::from(self.flag_percent) / 100.0
    }

    fn time(&self) -> CoreResult<NaiveTime> {
        NaiveTime::parse_from_str(self.reminder_time.trim(), "%H:%M").map_err(|_| {
            CoreError::Invalid(format!("“{}” is not a time of day: use HH:MM, e.g. 09:00", self.reminder_time))
        })
    }

    /// The latest scheduled reminder at or before `now`, in `now`'s time zone.
    pub fn last_occurrence<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        let time = self.time().ok()?;
        let today = now.date_naive();
        let back = (7 + today.weekday().num_days_from_monday() as i64 - i64::from(self.reminder_weekday)) % 7;
        let mut date = today - Duration::days(back);
        if date == today && now.naive_local().time() < time {
            date -= Duration::days(7);
        }
        local_instant(&now.timezone(), date.and_time(time))
    }

    /// Whether the reminder is due at `now`, given when it was last shown: its latest occurrence
    /// has passed, came after the last one shown, and is recent enough to still be useful.
    pub fn reminder_due<Tz: TimeZone>(&self, now: &DateTime<Tz>, last_shown: DateTime<chrono::Utc>) -> bool {
        if !self.reminder_enabled {
            return false;
        }
        self.last_occurrence(now).is_some_and(|occurrence| {
            let occurrence = occurrence.to_utc();
            let now = now.to_utc();
            occurrence > last_shown && now - occurrence <= Duration::hours(REMINDER_GRACE_HOURS)
        })
    }
}

/// The instant of a local wall-clock time; a time skipped by a DST change moves an hour later.
fn local_instant<Tz: TimeZone>(zone: &Tz, local: NaiveDateTime) -> Option<DateTime<Tz>> {
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn local(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).expect("a test instant")
    }

    #[test]
    fn thresholds_must_be_ordered_and_bounded() {
        assert!(WaitThresholds::default().validate().is_ok());
        assert!(WaitThresholds { warn_minutes: 5, urgent_minutes: 5 }.validate().is_err());
        assert!(WaitThresholds { warn_minutes: 0, urgent_minutes: 5 }.validate().is_err());
        assert!(WaitThresholds { warn_minutes: 1, urgent_minutes: 2000 }.validate().is_err());
        assert!(WaitThresholds { warn_minutes: 10, urgent_minutes: 30 }.validate().is_ok());
    }

    #[test]
    fn service_targets_colour_the_deadline() {
        let targets = ServiceTargets::default();
        assert!(targets.validate().is_ok());
        assert!(ServiceTargets { first_response_minutes: 0, ..targets }.validate().is_ok(), "0 is off");
        assert!(ServiceTargets { first_response_minutes: 20_000, ..targets }.validate().is_err());
        assert!(ServiceTargets { amber_percent: 0, ..targets }.validate().is_err());
        assert!(ServiceTargets { amber_percent: 100, ..targets }.validate().is_err());
        let due = local("2026-11-25T10:05:00+00:00").to_utc();
        let at = |text: &str| local(text).to_utc();
        // 5 minutes, amber below 40% = 2 minutes left.
        assert_eq!(targets.level(due, at("2026-11-25T10:00:00+00:00")), TargetLevel::Ok);
        assert_eq!(targets.level(due, at("2026-11-25T10:03:00+00:00")), TargetLevel::Ok);
        assert_eq!(targets.level(due, at("2026-11-25T10:03:01+00:00")), TargetLevel::Amber);
        assert_eq!(targets.level(due, at("2026-11-25T10:05:00+00:00")), TargetLevel::Red);
        assert_eq!(targets.level(due, at("2026-11-25T11:00:00+00:00")), TargetLevel::Red);
        // Older profiles stored nothing: the defaults apply field by field.
        let partial: ServiceTargets = serde_json::from_str(r#"{"first_response_minutes": 15}"#).unwrap();
        assert_eq!(partial, ServiceTargets { first_response_minutes: 15, amber_percent: 40 });
    }

    #[test]
    fn review_prefs_are_checked() {
        assert!(ReviewPrefs::default().validate().is_ok());
        let bad_time = ReviewPrefs { reminder_time: "9am".into(), ..Default::default() };
        let error = bad_time.validate().unwrap_err().to_string();
        assert!(error.contains("HH:MM"), "{error}");
        assert!(ReviewPrefs { flag_percent: 0, ..Default::default() }.validate().is_err());
        assert!(ReviewPrefs { reminder_weekday: 7, ..Default::default() }.validate().is_err());
    }

    #[test]
    fn the_last_occurrence_is_this_weeks_or_last_weeks() {
        // 2026-11-25 is a Wednesday.
        let prefs = ReviewPrefs { reminder_weekday: 0, reminder_time: "09:00".into(), ..Default::default() };
        let now = local("2026-11-25T10:00:00+01:00");
        assert_eq!(prefs.last_occurrence(&now), Some(local("2026-11-23T09:00:00+01:00")));
        let wednesday = ReviewPrefs { reminder_weekday: 2, ..prefs.clone() };
        assert_eq!(wednesday.last_occurrence(&now), Some(local("2026-11-25T09:00:00+01:00")));
        let early = local("2026-11-25T08:59:00+01:00");
        assert_eq!(wednesday.last_occurrence(&early), Some(local("2026-11-18T09:00:00+01:00")));
    }

    #[test]
    fn the_reminder_fires_once_and_not_when_missed_for_long() {
        let prefs = ReviewPrefs { reminder_weekday: 2, reminder_time: "09:00".into(), ..Default::default() };
        let before = local("2026-11-25T08:00:00+00:00").to_utc();
        assert!(prefs.reminder_due(&local("2026-11-25T09:00:30+00:00"), before));
        // Shown at 09:00:30: not again that week.
        let shown = local("2026-11-25T09:00:30+00:00").to_utc();
        assert!(!prefs.reminder_due(&local("2026-11-25T09:05:00+00:00"), shown));
        assert!(!prefs.reminder_due(&local("2026-11-30T09:05:00+00:00"), shown));
        assert!(prefs.reminder_due(&local("2026-12-02T09:00:00+00:00"), shown));
        // The computer was off all day: no stale reminder in the evening.
        assert!(!prefs.reminder_due(&local("2026-11-25T22:00:00+00:00"), before));
        // Off.
        let off = ReviewPrefs { reminder_enabled: false, ..prefs };
        assert!(!off.reminder_due(&local("2026-11-25T09:00:30+00:00"), before));
    }
}
