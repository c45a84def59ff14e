//! Which escalations become desktop notifications, and what they say. Pure policy: the desktop
//! shell shows what this decides.
//!
//! - one notification per new escalation, never two for the same conversation;
//! - a burst (more than `burst_limit` within `burst_window`) or a backlog becomes one summary
//!   that opens the queue;
//! - preferences: on/off, VIP-and-urgent only, sound, do-not-disturb hours.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, NaiveTime, Utc};
use handoff_protocol::*;
use serde::{Deserialize, Serialize};

use crate::views::CoreEvent;

/// The user's notification preferences (stored in the profile's settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct NotificationPrefs {
    pub enabled: bool,
    /// Only VIP customers and urgent handoffs.
    pub vip_and_urgent_only: bool,
    pub sound: bool,
    /// Do-not-disturb hours, local time, `"HH:MM"`; the range may wrap midnight.
    pub quiet_from: Option<String>,
    pub quiet_until: Option<String>,
}

impl Default for NotificationPrefs {
    fn default() -> Self {
        Self { enabled: true, vip_and_urgent_only: false, sound: true, quiet_from: None, quiet_until: None }
    }
}

fn parse_time(value: &Option<String>) -> Option<NaiveTime> {
    value.as_deref().and_then(|v| NaiveTime::parse_from_str(v.trim(), "%H:%M").ok())
}

impl NotificationPrefs {
    /// Whether `local` (the user's wall-clock time) falls in the do-not-disturb hours.
    pub fn is_quiet(&self, local: NaiveTime) -> bool {
        match (parse_time(&self.quiet_from), parse_time(&self.quiet_until)) {
            (Some(from), Some(until)) if from <= until => local >= from && local < until,
            (Some(from), Some(until)) => local >= from || local < until,
            _ => false,
        }
    }
}

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// One escalation; clicking opens that conversation.
    Escalation { conversation_id: i64, title: String, body: String, sound: bool },
    /// Many at once; clicking opens the queue. Replaces an earlier summary still on screen.
    Summary { count: usize, title: String, body: String, sound: bool },
    /// The weekly reminder to look at the review; clicking opens it.
    Review { title: String, body: String },
}

/// The weekly review reminder, with the headline of the week's report.
pub fn review_reminder(report: &crate::insights::review::ReviewReport) -> Notice {
    let days = (report.period_end - report.period_start).num_days().max(1);
    let period = if days == 1 { "the last day".to_string() } else { format!("the last {days} days") };
    let flagged: Vec<String> = report.groups.iter().filter(|g| g.flagged).map(|g| clip(&g.label, 40)).collect();
    let body = match (report.total_handoffs, flagged.len()) {
        (0, _) => format!("No handoffs in {period}."),
        (1, _) => format!("1 handoff in {period}. See why the bot handed off."),
        (total, 0) => format!("{total} handoffs in {period}. See why the bot handed off and what customers asked."),
        (total, 1) => format!("{total} handoffs in {period}. One question keeps coming back: {}.", flagged[0]),
        (total, n) => format!("{total} handoffs in {period}. {n} questions keep coming back: {}.", flagged.join(", ")),
    };
    Notice::Review { title: "Your weekly handoff review".into(), body }
}

/// A short human label of why the bot gave up.
pub fn reason_label(reason: HandoffReason) -> &'static str {
    match reason {
        HandoffReason::Sentiment => "Frustrated customer",
        HandoffReason::ExplicitRequest => "Asked for a human",
        HandoffReason::Workflow => "Workflow handoff",
        HandoffReason::Vip => "VIP customer",
        HandoffReason::Other => "Handed off",
    }
}

fn clip(text: &str, max: usize) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max.saturating_sub(1)).collect::<String>())
    }
}

/// Title and body of one escalation's notification.
pub fn escalation_text(conversation: &Conversation, last_customer_text: Option<&str>) -> (String, String) {
    let mut title = clip(&conversation.customer.name, 60);
    if conversation.customer.vip {
        title.push_str(" · VIP");
    }
    if matches!(conversation.priority, Priority::Urgent | Priority::High) {
        title.push_str(" · ");
        title.push_str(conversation.priority.as_str());
    }
    let reason = conversation.handoff.as_ref().map(|h| reason_label(h.reason)).unwrap_or("Handed off");
    let body = match last_customer_text.filter(|t| !t.trim().is_empty()) {
        Some(line) => format!("{reason}: “{}”", clip(line, 140)),
        None => reason.to_string(),
    };
    (title, body)
}

pub struct NotificationPolicy {
    pub prefs: NotificationPrefs,
    pub burst_limit: usize,
    pub burst_window: chrono::Duration,
    shown: VecDeque<DateTime<Utc>>,
    notified: HashSet<(i64, i64)>,
    /// Escalations folded into the summary of the current burst.
    summarised: usize,
}

impl NotificationPolicy {
    pub fn new(prefs: NotificationPrefs) -> Self {
        Self {
            prefs,
            burst_limit: 3,
            burst_window: chrono::Duration::seconds(10),
            shown: VecDeque::new(),
            notified: HashSet::new(),
            summarised: 0,
        }
    }

    fn wanted(&self, conversation: &Conversation) -> bool {
        !self.prefs.vip_and_urgent_only || conversation.customer.vip || conversation.priority == Priority::Urgent
    }

    /// Decides what an engine event shows. `local_time` is the user's wall-clock time.
    pub fn on_event(&mut self, event: &CoreEvent, now: DateTime<Utc>, local_time: NaiveTime) -> Option<Notice> {
        while self.shown.front().is_some_and(|t| now - *t > self.burst_window) {
            self.shown.pop_front();
        }
        if self.shown.is_empty() {
            self.summarised = 0;
        }
        let quiet = !self.prefs.enabled || self.prefs.is_quiet(local_time);
        let sound = self.prefs.sound;
        match event {
            CoreEvent::NewEscalation { conversation, last_customer_text } => {
                let escalated = conversation.handoff.as_ref().map(|h| h.escalated_at.timestamp_millis()).unwrap_or(0);
                // Never twice for one escalation, even if asked twice.
                if !self.notified.insert((conversation.id, escalated)) || quiet || !self.wanted(conversation) {
                    return None;
                }
                self.shown.push_back(now);
                if self.shown.len() <= self.burst_limit {
                    let (title, body) = escalation_text(conversation, last_customer_text.as_deref());
                    return Some(Notice::Escalation { conversation_id: conversation.id, title, body, sound });
                }
                // A burst: one summary, updated as more arrive, opening the queue.
                self.summarised += 1;
                let count = self.summarised;
                Some(Notice::Summary {
                    count,
                    title: format!("{count} more new escalations"),
                    body: "Many customers are waiting. Open the queue to triage.".into(),
                    sound: sound && count == 1,
                })
            }
            CoreEvent::EscalationBacklog { count, .. } if !quiet && !self.prefs.vip_and_urgent_only => {
                self.shown.push_back(now);
                Some(Notice::Summary {
                    count: *count,
                    title: format!("{count} conversations waiting"),
                    body: "Handoffs arrived while you were away. Open the queue to triage.".into(),
                    sound,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(id: i64, vip: bool, priority: Priority) -> Conversation {
        let now = Utc::now();
        Conversation {
            id,
            external_id: format!("e{id}"),
            channel: "web".into(),
            status: ConversationStatus::Waiting,
            assignee: None,
            customer: Customer {
                id: format!("c{id}"),
                name: format!("Customer {id}"),
                email: None,
                phone: None,
                vip,
                account_value: None,
            },
            handoff: Some(Handoff {
                reason: HandoffReason::Sentiment,
                trigger: "said: this is terrible".into(),
                escalated_at: now,
                summary: None,
                topic: None,
            }),
            priority,
            version: 1,
            created_at: now,
            updated_at: now,
            last_message_seq: 1,
        }
    }

    fn escalation(id: i64, vip: bool, priority: Priority) -> CoreEvent {
        CoreEvent::NewEscalation {
            conversation: conversation(id, vip, priority),
            last_customer_text: Some("This is terrible!\nI want my money back".into()),
        }
    }

    fn noon() -> NaiveTime {
        NaiveTime::from_hms_opt(12, 0, 0).unwrap()
    }

    #[test]
    fn one_notification_per_escalation_with_customer_reason_and_last_line() {
        let mut policy = NotificationPolicy::new(NotificationPrefs::default());
        let now = Utc::now();
        let notice = policy.on_event(&escalation(1, true, Priority::Urgent), now, noon()).unwrap();
        assert_eq!(
            notice,
            Notice::Escalation {
                conversation_id: 1,
                title: "Customer 1 · VIP · urgent".into(),
                body: "Frustrated customer: “This is terrible! I want my money back”".into(),
                sound: true,
            }
        );
        assert_eq!(policy.on_event(&escalation(1, true, Priority::Urgent), now, noon()), None, "never twice");
    }

    #[test]
    fn a_burst_becomes_one_growing_summary_then_calms_down() {
        let mut policy = NotificationPolicy::new(NotificationPrefs::default());
        let start = Utc::now();
        let at = |s: i64| start + chrono::Duration::seconds(s);
        for id in 1..=3 {
            assert!(matches!(
                policy.on_event(&escalation(id, false, Priority::Normal), at(id), noon()),
                Some(Notice::Escalation { .. })
            ));
        }
        let fourth = policy.on_event(&escalation(4, false, Priority::Normal), at(4), noon()).unwrap();
        assert!(matches!(fourth, Notice::Summary { count: 1, sound: true, .. }), "{fourth:?}");
        let fifth = policy.on_event(&escalation(5, false, Priority::Normal), at(5), noon()).unwrap();
        assert!(matches!(fifth, Notice::Summary { count: 2, sound: false, .. }), "{fifth:?}");
        // Quiet for longer than the window: single notifications again.
        let later = policy.on_event(&escalation(6, false, Priority::Normal), at(30), noon()).unwrap();
        assert!(matches!(later, Notice::Escalation { conversation_id: 6, .. }));
    }

    #[test]
    fn a_backlog_is_one_summary() {
        let mut policy = NotificationPolicy::new(NotificationPrefs::default());
        let event = CoreEvent::EscalationBacklog { count: 12, conversation_ids: (1..=12).collect() };
        let notice = policy.on_event(&event, Utc::now(), noon()).unwrap();
        assert!(matches!(notice, Notice::Summary { count: 12, ref title, .. } if title == "12 conversations waiting"));
    }

    #[test]
    fn preferences_filter_and_silence() {
        let now = Utc::now();
        let mut off = NotificationPolicy::new(NotificationPrefs { enabled: false, ..Default::default() });
        assert_eq!(off.on_event(&escalation(1, true, Priority::Urgent), now, noon()), None);

        let mut vip_only =
            NotificationPolicy::new(NotificationPrefs { vip_and_urgent_only: true, ..Default::default() });
        assert_eq!(vip_only.on_event(&escalation(1, false, Priority::High), now, noon()), None);
        assert!(vip_only.on_event(&escalation(2, true, Priority::Low), now, noon()).is_some());
        assert!(vip_only.on_event(&escalation(3, false, Priority::Urgent), now, noon()).is_some());

        let mut silent = NotificationPolicy::new(NotificationPrefs { sound: false, ..Default::default() });
        assert!(matches!(
            silent.on_event(&escalation(1, false, Priority::Normal), now, noon()),
            Some(Notice::Escalation { sound: false, .. })
        ));

        let night = NotificationPrefs {
            quiet_from: Some("22:00".into()),
            quiet_until: Some("07:30".into()),
            ..Default::default()
        };
        assert!(night.is_quiet(NaiveTime::from_hms_opt(23, 15, 0).unwrap()));
        assert!(night.is_quiet(NaiveTime::from_hms_opt(6, 0, 0).unwrap()));
        assert!(!night.is_quiet(NaiveTime::from_hms_opt(7, 30, 0).unwrap()));
        assert!(!night.is_quiet(noon()));
        let mut dnd = NotificationPolicy::new(night);
        assert_eq!(
            dnd.on_event(&escalation(1, true, Priority::Urgent), now, NaiveTime::from_hms_opt(23, 0, 0).unwrap()),
            None
        );
        let lunch = NotificationPrefs {
            quiet_from: Some("12:00".into()),
            quiet_until: Some("13:00".into()),
            ..Default::default()
        };
        assert!(lunch.is_quiet(noon()));
        assert!(!NotificationPrefs { quiet_from: Some("bogus".into()), ..lunch }.is_quiet(noon()));
    }

    #[test]
    fn untrusted_text_is_flattened_and_clipped() {
        let long = "x".repeat(500);
        let (_, body) =
            escalation_text(&conversation(1, false, Priority::Normal), Some(&format!("a\u{1b}[31m\n{long}")));
        assert!(body.chars().count() < 180);
        assert!(!body.contains('\u{1b}') && !body.contains('\n'));
    }

    #[test]
    fn the_review_reminder_names_the_questions_that_keep_coming_back() {
        use crate::insights::review::{QuestionGroup, ReviewReport};
        let end = Utc::now();
        let group = |label: &str, flagged: bool| QuestionGroup {
            label: label.into(),
            size: 3,
            share: 0.3,
            conversation_ids: vec![1, 2, 3],
            examples: vec![],
            flagged,
            suggestion: None,
            prompt_draft: None,
        };
        let mut report = ReviewReport {
            period_start: end - chrono::Duration::days(7),
            period_end: end,
            total_handoffs: 10,
            by_reason: vec![],
            by_day: vec![],
            by_hour: vec![0; 24],
            utc_offset_minutes: 0,
            flag_share: 0.2,
            median_wait_seconds: None,
            median_handle_seconds: None,
            groups: vec![group("annual billing", true), group("refund", false)],
        };
        let Notice::Review { title, body } = review_reminder(&report) else { panic!("a review notice") };
        assert_eq!(title, "Your weekly handoff review");
        assert_eq!(body, "10 handoffs in the last 7 days. One question keeps coming back: annual billing.");
        report.groups[1].flagged = true;
        let Notice::Review { body, .. } = review_reminder(&report) else { panic!("a review notice") };
        assert!(body.ends_with("2 questions keep coming back: annual billing, refund."), "{body}");
        report.total_handoffs = 0;
        let Notice::Review { body, .. } = review_reminder(&report) else { panic!("a review notice") };
        assert_eq!(body, "No handoffs in the last 7 days.");
    }
}
