//! Which events become desktop notifications, and what they say. Pure policy: the desktop
//! shell shows what this decides.
//!
//! - one notification per new escalation, never two for the same conversation;
//! - a burst (more than `burst_limit` within `burst_window`) or a backlog becomes one summary
//!   that opens the queue;
//! - a customer writing again in a conversation the agent holds: one notification per line,
//!   lines of one conversation replacing each other on screen (one slot per conversation), many
//!   conversations at once one summary; none for the conversation the agent is looking at;
//! - the texts of the first-response deadline and snooze notices the engine hands out;
//! - preferences: on/off, VIP-and-urgent only (escalations), customer messages on/off, sound
//!   (off by default), do-not-disturb hours.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

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
    /// A sound with each notification; off unless the agent turns it on.
    pub sound: bool,
    /// A notification when the customer writes again in a conversation assigned to me.
    pub customer_messages: bool,
    /// Do-not-disturb hours, local time, `"HH:MM"`; the range may wrap midnight.
    pub quiet_from: Option<String>,
    pub quiet_until: Option<String>,
}

impl Default for NotificationPrefs {
    fn default() -> Self {
        Self {
            enabled: true,
            vip_and_urgent_only: false,
            sound: false,
            customer_messages: true,
            quiet_from: None,
            quiet_until: None,
        }
    }
}

fn parse_time(value: &Option<String>) -> Option<NaiveTime> {
    value.as_deref().and_then(|v| NaiveTime::parse_from_str(v.trim(), "%H:%M").ok())
}

impl NotificationPrefs {
    /// Whether notifications may show at `local` (on, and outside the do-not-disturb hours).
    pub fn allows_at(&self, local: NaiveTime) -> bool {
        self.enabled && !self.is_quiet(local)
    }

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
    /// The customer wrote again in a conversation assigned to me; clicking opens it. Later lines
    /// of the same conversation replace it on screen ([`Notice::replace_key`]).
    CustomerMessage { conversation_id: i64, title: String, body: String, sound: bool },
    /// Customers wrote in several of my conversations at once (a burst, or a catch-up after
    /// sleep); clicking opens the Mine tab. Replaces an earlier one still on screen.
    CustomerMessages { count: usize, conversation_ids: Vec<i64>, title: String, body: String, sound: bool },
    /// A conversation passed its first-response target without an answer; clicking opens it.
    Overdue { conversation_id: i64, title: String, body: String },
    /// A snooze ended: the conversation is back at the top of Mine; clicking opens it.
    SnoozeOver { conversation_id: i64, title: String, body: String },
}

impl Notice {
    /// Notices with the same key replace each other on screen: one slot per conversation, one
    /// for the summary of escalations, one for customer messages, one for the reminder.
    pub fn replace_key(&self) -> String {
        match self {
            Self::Escalation { conversation_id, .. }
            | Self::CustomerMessage { conversation_id, .. }
            | Self::Overdue { conversation_id, .. }
            | Self::SnoozeOver { conversation_id, .. } => format!("conversation-{conversation_id}"),
            Self::Summary { .. } => "summary".into(),
            Self::CustomerMessages { .. } => "customer-messages".into(),
            Self::Review { .. } => "review".into(),
        }
    }
}

/// A conversation past its first-response target: who, and for how long nobody answered.
pub fn overdue(conversation: &Conversation, target_minutes: u32, now: DateTime<Utc>) -> Notice {
    let waited = conversation.handoff.as_ref().map(|h| (now - h.escalated_at).num_minutes().max(0)).unwrap_or(0);
    let whose = match conversation.status {
        ConversationStatus::Assigned => "No reply yet",
        _ => "Waiting for an agent",
    };
    Notice::Overdue {
        conversation_id: conversation.id,
        title: customer_title(conversation),
        body: format!("{whose} for {waited} min: past the {target_minutes}-minute first-response target."),
    }
}

/// Several conversations past the target at once: one summary opening the queue.
pub fn overdue_summary(count: usize, target_minutes: u32) -> Notice {
    Notice::Summary {
        count,
        title: format!("{count} customers past the first-response target"),
        body: format!(
            "Nobody has answered them within {target_minutes} minutes. Open the queue: they are listed first."
        ),
        sound: false,
    }
}

/// A snooze that ended: the conversation, with what the customer last said.
pub fn snooze_over(conversation: &Conversation, last_customer_text: Option<&str>) -> Notice {
    let body = match last_customer_text.filter(|t| !t.trim().is_empty()) {
        Some(line) => format!("Snooze over, back in Mine. Last from the customer: “{}”", clip(line, 120)),
        None => "Snooze over: back at the top of Mine.".into(),
    };
    Notice::SnoozeOver { conversation_id: conversation.id, title: customer_title(conversation), body }
}

/// The customer's name (clipped), marked VIP.
fn customer_title(conversation: &Conversation) -> String {
    let mut title = clip(&conversation.customer.name, 60);
    if conversation.customer.vip {
        title.push_str(" · VIP");
    }
    title
}

/// Title and body of a customer's new line (`count` lines since the agent last looked).
pub fn customer_message_text(conversation: &Conversation, text: &str, count: usize) -> (String, String) {
    let line = clip(text, 140);
    let body = if count > 1 { format!("{count} new messages: “{line}”") } else { format!("“{line}”") };
    (customer_title(conversation), body)
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
    let mut title = customer_title(conversation);
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

/// Customers wrote in several of my conversations: one summary that opens Mine.
fn customer_messages_summary(conversation_ids: Vec<i64>, sound: bool) -> Notice {
    let count = conversation_ids.len();
    Notice::CustomerMessages {
        count,
        conversation_ids,
        title: format!("New messages in {count} of your conversations"),
        body: "Customers wrote back. Open Mine to answer them.".into(),
        sound,
    }
}

pub struct NotificationPolicy {
    pub prefs: NotificationPrefs,
    pub burst_limit: usize,
    pub burst_window: chrono::Duration,
    shown: VecDeque<DateTime<Utc>>,
    notified: HashSet<(i64, i64)>,
    /// Escalations folded into the summary of the current burst.
    summarised: usize,
    /// The conversation open in a focused window: its customer's lines need no notification.
    focused: Option<i64>,
    /// Customer lines already notified, by conversation and seq.
    customer_lines: HashSet<(i64, i64)>,
    /// Lines notified per conversation since the agent last looked at it.
    unseen: HashMap<i64, usize>,
    /// When customer-message notices were shown recently, and for which conversation.
    customer_shown: VecDeque<(DateTime<Utc>, i64)>,
    /// Whether the current burst of customer messages is a summary already.
    customer_summarised: bool,
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
            focused: None,
            customer_lines: HashSet::new(),
            unseen: HashMap::new(),
            customer_shown: VecDeque::new(),
            customer_summarised: false,
        }
    }

    /// The conversation open in the window while the window has the focus (None otherwise):
    /// the customer's lines there are seen as they arrive, so they raise no notification.
    pub fn set_focused_conversation(&mut self, conversation_id: Option<i64>) {
        self.focused = conversation_id;
        if let Some(id) = conversation_id {
            self.unseen.remove(&id);
        }
    }

    /// A customer's new line in a conversation assigned to me.
    fn customer_wrote(&mut self, conversation: &Conversation, message: &Message, now: DateTime<Utc>) -> Option<Notice> {
        let sound = self.prefs.sound;
        while self.customer_shown.front().is_some_and(|(t, _)| now - *t > self.burst_window) {
            self.customer_shown.pop_front();
        }
        if self.customer_shown.is_empty() {
            self.customer_summarised = false;
        }
        let first_in_burst = !self.customer_shown.iter().any(|(_, id)| *id == conversation.id);
        self.customer_shown.push_back((now, conversation.id));
        let conversations: BTreeSet<i64> = self.customer_shown.iter().map(|(_, id)| *id).collect();
        if conversations.len() > self.burst_limit {
            let first_summary = !self.customer_summarised;
            self.customer_summarised = true;
            return Some(customer_messages_summary(conversations.into_iter().collect(), sound && first_summary));
        }
        let count = self.unseen.entry(conversation.id).or_default();
        *count += 1;
        let (title, body) = customer_message_text(conversation, &message.text, *count);
        // One sound per conversation and burst: a customer typing five short lines rings once.
        Some(Notice::CustomerMessage { conversation_id: conversation.id, title, body, sound: sound && first_in_burst })
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
            CoreEvent::CustomerWrote { conversation, message } => {
                if message.role != Role::Customer
                    || message.conversation_id != conversation.id
                    || conversation.status != ConversationStatus::Assigned
                    // Never twice for one line, even if asked twice.
                    || !self.customer_lines.insert((conversation.id, message.seq))
                    || quiet
                    || !self.prefs.customer_messages
                    || self.focused == Some(conversation.id)
                {
                    return None;
                }
                self.customer_wrote(conversation, message, now)
            }
            CoreEvent::CustomerBacklog { conversation_ids, .. } if !quiet && self.prefs.customer_messages => {
                let ids: Vec<i64> = conversation_ids.iter().copied().filter(|id| self.focused != Some(*id)).collect();
                (!ids.is_empty()).then(|| customer_messages_summary(ids, sound))
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
            tags: Vec::new(),
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
                sound: false,
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
        policy.prefs.sound = true;
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

    fn assigned(id: i64) -> Conversation {
        Conversation {
            status: ConversationStatus::Assigned,
            assignee: Some(AgentRef { id: 7, name: "Alice".into() }),
            ..conversation(id, false, Priority::Normal)
        }
    }

    fn customer_line(id: i64, seq: i64, text: &str) -> CoreEvent {
        CoreEvent::CustomerWrote {
            conversation: assigned(id),
            message: Message {
                conversation_id: id,
                seq,
                role: Role::Customer,
                author: format!("Customer {id}"),
                text: text.into(),
                private: false,
                client_id: None,
                created_at: Utc::now(),
            },
        }
    }

    #[test]
    fn sound_is_off_and_customer_messages_on_by_default() {
        let prefs = NotificationPrefs::default();
        assert!(!prefs.sound && prefs.customer_messages && prefs.enabled);
        // Preferences saved before these fields existed keep working.
        let old: NotificationPrefs = serde_json::from_str(r#"{"enabled": true, "sound": true}"#).unwrap();
        assert!(old.sound && old.customer_messages);
    }

    #[test]
    fn a_customer_line_in_my_conversation_notifies_once_and_a_burst_stays_in_one_slot() {
        let mut policy = NotificationPolicy::new(NotificationPrefs { sound: true, ..Default::default() });
        let now = Utc::now();
        let first = policy.on_event(&customer_line(1, 5, "Are you\nstill there?"), now, noon()).unwrap();
        assert_eq!(
            first,
            Notice::CustomerMessage {
                conversation_id: 1,
                title: "Customer 1".into(),
                body: "“Are you still there?”".into(),
                sound: true,
            }
        );
        assert_eq!(policy.on_event(&customer_line(1, 5, "Are you still there?"), now, noon()), None, "once per line");
        let second = policy.on_event(&customer_line(1, 6, "Hello??"), now, noon()).unwrap();
        assert_eq!(
            second,
            Notice::CustomerMessage {
                conversation_id: 1,
                title: "Customer 1".into(),
                body: "2 new messages: “Hello??”".into(),
                sound: false,
            },
            "the same burst: no second sound"
        );
        assert_eq!(first.replace_key(), second.replace_key(), "the second replaces the first on screen");
        assert_eq!(first.replace_key(), "conversation-1");
        // Looking at the conversation resets the count.
        policy.set_focused_conversation(Some(1));
        policy.set_focused_conversation(None);
        let later = policy.on_event(&customer_line(1, 7, "Thanks"), now + chrono::Duration::seconds(60), noon());
        assert!(matches!(later, Some(Notice::CustomerMessage { ref body, sound: true, .. }) if body == "“Thanks”"));
    }

    #[test]
    fn the_open_conversation_and_lines_that_are_not_a_customers_in_mine_raise_nothing() {
        let mut policy = NotificationPolicy::new(NotificationPrefs::default());
        let now = Utc::now();
        policy.set_focused_conversation(Some(1));
        assert_eq!(policy.on_event(&customer_line(1, 5, "hi"), now, noon()), None, "being read as it arrives");
        assert!(policy.on_event(&customer_line(2, 5, "hi"), now, noon()).is_some(), "another conversation");
        let CoreEvent::CustomerWrote { conversation, mut message } = customer_line(3, 5, "hi") else { unreachable!() };
        let waiting = Conversation { status: ConversationStatus::Waiting, assignee: None, ..conversation.clone() };
        let event = CoreEvent::CustomerWrote { conversation: waiting, message: message.clone() };
        assert_eq!(policy.on_event(&event, now, noon()), None, "not assigned: the queue's business");
        message.role = Role::Agent;
        assert_eq!(policy.on_event(&CoreEvent::CustomerWrote { conversation, message }, now, noon()), None);
    }

    #[test]
    fn many_conversations_at_once_become_one_summary() {
        let mut policy = NotificationPolicy::new(NotificationPrefs::default());
        let now = Utc::now();
        for id in 1..=3 {
            assert!(matches!(
                policy.on_event(&customer_line(id, 2, "hi"), now, noon()),
                Some(Notice::CustomerMessage { .. })
            ));
        }
        let fourth = policy.on_event(&customer_line(4, 2, "hi"), now, noon()).unwrap();
        assert!(
            matches!(fourth, Notice::CustomerMessages { count: 4, ref conversation_ids, .. } if conversation_ids == &[1, 2, 3, 4]),
            "{fourth:?}"
        );
        assert_eq!(fourth.replace_key(), "customer-messages");
        // A catch-up after sleep: one summary, without the conversation being read.
        policy.set_focused_conversation(Some(9));
        let backlog = CoreEvent::CustomerBacklog { count: 3, conversation_ids: vec![7, 8, 9] };
        let summary = policy.on_event(&backlog, now, noon()).unwrap();
        let Notice::CustomerMessages { count, title, .. } = summary else { panic!("a summary: {summary:?}") };
        assert_eq!((count, title.as_str()), (2, "New messages in 2 of your conversations"));
    }

    #[test]
    fn customer_message_preferences_apply() {
        let now = Utc::now();
        let mut off = NotificationPolicy::new(NotificationPrefs { customer_messages: false, ..Default::default() });
        assert_eq!(off.on_event(&customer_line(1, 2, "hi"), now, noon()), None);
        let backlog = CoreEvent::CustomerBacklog { count: 2, conversation_ids: vec![1, 2] };
        assert_eq!(off.on_event(&backlog, now, noon()), None);
        let mut disabled = NotificationPolicy::new(NotificationPrefs { enabled: false, ..Default::default() });
        assert_eq!(disabled.on_event(&customer_line(1, 2, "hi"), now, noon()), None);
        let night = NotificationPrefs {
            quiet_from: Some("22:00".into()),
            quiet_until: Some("07:00".into()),
            ..Default::default()
        };
        let mut quiet = NotificationPolicy::new(night);
        let late = NaiveTime::from_hms_opt(23, 30, 0).unwrap();
        assert_eq!(quiet.on_event(&customer_line(1, 2, "hi"), now, late), None);
        let mut silent = NotificationPolicy::new(NotificationPrefs::default());
        assert!(matches!(
            silent.on_event(&customer_line(1, 2, "hi"), now, noon()),
            Some(Notice::CustomerMessage { sound: false, .. })
        ));
    }

    #[test]
    fn overdue_and_snooze_notices_say_who_and_why() {
        let now = Utc::now();
        let mut late = conversation(4, true, Priority::Normal);
        if let Some(handoff) = late.handoff.as_mut() {
            handoff.escalated_at = now - chrono::Duration::minutes(7);
        }
        assert_eq!(
            overdue(&late, 5, now),
            Notice::Overdue {
                conversation_id: 4,
                title: "Customer 4 · VIP".into(),
                body: "Waiting for an agent for 7 min: past the 5-minute first-response target.".into(),
            }
        );
        let Notice::Summary { title, .. } = overdue_summary(6, 5) else { panic!("a summary") };
        assert_eq!(title, "6 customers past the first-response target");
        let back = snooze_over(&assigned(2), Some("any news?"));
        assert_eq!(
            back,
            Notice::SnoozeOver {
                conversation_id: 2,
                title: "Customer 2".into(),
                body: "Snooze over, back in Mine. Last from the customer: “any news?”".into(),
            }
        );
        assert_eq!(back.replace_key(), "conversation-2");
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
            grouping: crate::insights::review::ReviewGrouping {
                method: crate::insights::review::GroupingMethod::Meaning,
                model: None,
                note: None,
            },
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
