//! Learning from handoffs: the review of a period, computed from the local cache (works
//! offline). How many handoffs, why, when, how long customers waited and agents worked — and
//! what customers asked before the bot gave up, grouped, so the team sees which questions the
//! bot should learn to answer, with a draft for its system prompt that quotes what customers
//! asked (their own lines, never an agent's or the bot's: what an agent did — "I've refunded
//! you" — is no instruction a bot can follow).
//!
//! Days and hours are in this computer's local time (daylight saving included), or at a fixed
//! offset from UTC (`ReviewOptions`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, FixedOffset, Offset, Timelike, Utc};
use handoff_protocol::*;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::cluster::{self, Document};
use super::context::local_summary;
use super::semantic;

/// A group at or above this share of the period's handoffs is flagged.
pub const DEFAULT_FLAG_SHARE: f64 = 0.20;
/// Examples shown per group.
const EXAMPLES: usize = 3;
/// Customer questions quoted in a prompt draft.
const DRAFT_QUESTIONS: usize = 3;
/// Characters of an example question.
const QUESTION_CHARS: usize = 160;

/// What to review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewOptions {
    /// Handoffs escalated at or after this instant…
    pub since: DateTime<Utc>,
    /// …and at or before this one.
    pub until: DateTime<Utc>,
    /// Groups with at least this share of the handoffs are flagged (0.20 = 20%).
    pub flag_share: f64,
    /// Days and hours are counted at this offset from UTC…
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// …or, when set, in this computer's local time zone, daylight saving included (the offset
    /// is then ignored).
    #[serde(default)]
    pub local_time: bool,
}

impl ReviewOptions {
    /// The last `period` up to `now`, flagged at the default share, days and hours in UTC.
    pub fn last(period: Duration, now: DateTime<Utc>) -> Self {
        Self {
            since: now - period,
            until: now,
            flag_share: DEFAULT_FLAG_SHARE,
            utc_offset_minutes: 0,
            local_time: false,
        }
    }

    /// The same, with days and hours at a fixed offset from UTC.
    pub fn at_offset(self, utc_offset_minutes: i32) -> Self {
        Self { utc_offset_minutes, local_time: false, ..self }
    }

    /// The same, with days and hours in this computer's local time.
    pub fn in_local_time(self) -> Self {
        Self { local_time: true, ..self }
    }

    /// The wall-clock time of an instant in the report's zone.
    fn wall_clock(&self, instant: DateTime<Utc>) -> chrono::NaiveDateTime {
        if self.local_time {
            instant.with_timezone(&chrono::Local).naive_local()
        } else {
            instant.with_timezone(&fixed_offset(self.utc_offset_minutes)).naive_local()
        }
    }

    /// The offset from UTC at the end of the period (what the report names).
    fn offset_at_end(&self) -> i32 {
        if self.local_time {
            self.until.with_timezone(&chrono::Local).offset().local_minus_utc() / 60
        } else {
            self.utc_offset_minutes
        }
    }
}

/// The zone of an offset; one beyond ±24 h is not a time zone, and counts as UTC rather than fail.
fn fixed_offset(utc_offset_minutes: i32) -> FixedOffset {
    FixedOffset::east_opt(utc_offset_minutes.saturating_mul(60)).unwrap_or(Utc.fix())
}

/// "UTC", "UTC+01:00", "UTC-05:30".
fn zone_label(utc_offset_minutes: i32) -> String {
    if utc_offset_minutes == 0 {
        return "UTC".into();
    }
    let sign = if utc_offset_minutes < 0 { '-' } else { '+' };
    let minutes = utc_offset_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReasonCount {
    pub reason: HandoffReason,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DayCount {
    /// YYYY-MM-DD (local to the report's offset).
    pub date: String,
    pub count: usize,
}

/// One question a customer asked, for the examples of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupExample {
    pub conversation_id: i64,
    pub customer_name: String,
    pub question: String,
}

/// Handoffs that asked about the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuestionGroup {
    pub label: String,
    pub size: usize,
    /// `size` over the period's handoffs, 0..=1.
    pub share: f64,
    /// Ascending.
    pub conversation_ids: Vec<i64>,
    /// Up to three, the most typical first.
    pub examples: Vec<GroupExample>,
    /// `share >= flag_share` (and more than one handoff).
    pub flagged: bool,
    /// For flagged groups: what to do about it.
    pub suggestion: Option<String>,
    /// For flagged groups: a draft addition to the bot's system prompt quoting the customers'
    /// questions of the group (their lines used for grouping; never agent or bot lines), for
    /// the team to complete with the answer.
    pub prompt_draft: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewReport {
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub total_handoffs: usize,
    /// Most frequent first; reasons that never occurred are left out.
    pub by_reason: Vec<ReasonCount>,
    /// Every day of the period, oldest first (only the days with handoffs for periods over
    /// 400 days).
    pub by_day: Vec<DayCount>,
    /// 24 counts, hour 0 to 23 (local to the report's offset).
    pub by_hour: Vec<usize>,
    /// The offset from UTC of days and hours.
    pub utc_offset_minutes: i32,
    /// Groups with at least this share were flagged.
    pub flag_share: f64,
    /// Median of escalation → first public agent message after it.
    pub median_wait_seconds: Option<i64>,
    /// Median, over resolved conversations, of first public agent message → last message.
    pub median_handle_seconds: Option<i64>,
    /// Largest first.
    pub groups: Vec<QuestionGroup>,
    /// How the groups were formed.
    pub grouping: ReviewGrouping,
}

/// What formed the groups: the questions' meaning (sentence vectors), or their shared words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum GroupingMethod {
    Meaning,
    Words,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewGrouping {
    pub method: GroupingMethod,
    /// The language model, when grouped by meaning.
    pub model: Option<String>,
    /// Why the groups are by words, in words for the team (absent when by meaning).
    pub note: Option<String>,
}

/// How [`build_grouped_report`] groups the questions.
#[derive(Debug, Clone, PartialEq)]
pub enum Grouping {
    /// By meaning: a unit vector for every handoff's question, by conversation id.
    Meaning { model: String, vectors: HashMap<i64, Vec<f32>> },
    /// By shared words, with why (for the report).
    Words { note: Option<String> },
}

fn clip(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max.saturating_sub(1)).collect::<String>().trim_end())
    }
}

fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2 })
}

/// What the customer wrote before the handoff (all their lines when none came before).
fn customer_lines(messages: &[Message], escalated_at: DateTime<Utc>) -> Vec<&str> {
    let customer = || messages.iter().filter(|m| m.role == Role::Customer && !m.text.trim().is_empty());
    let before: Vec<&str> = customer().filter(|m| m.created_at <= escalated_at).map(|m| m.text.as_str()).collect();
    if before.is_empty() {
        customer().map(|m| m.text.as_str()).collect()
    } else {
        before
    }
}

/// The question of a conversation: the customer's opening question before the handoff (their
/// first substantive line, preferring one with a question mark — later lines are mostly
/// follow-ups that dilute what they asked), filler lines skipped. Also the example to quote.
fn question(messages: &[Message], escalated_at: DateTime<Utc>) -> String {
    let lines = customer_lines(messages, escalated_at);
    let meaningful: Vec<&str> =
        lines.iter().copied().filter(|line| !cluster::tokenize(line).is_empty()).map(str::trim).collect();
    local_summary(meaningful.iter().copied())
        .or_else(|| meaningful.first().map(|l| clip(l, QUESTION_CHARS)))
        .unwrap_or_else(|| lines.first().map(|l| clip(l, QUESTION_CHARS)).unwrap_or_default())
}

/// The question the review groups a handoff by (and its model embeds): see `question`. Empty
/// for a conversation that was never handed off.
pub fn handoff_question(conversation: &Conversation, messages: &[Message]) -> String {
    conversation.handoff.as_ref().map(|h| question(messages, h.escalated_at)).unwrap_or_default()
}

/// "Hi Sam, " / "Hello there! " at the start of an answer.
fn salutation() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b[^,.!?—–:\n]{0,30}[,.!?—–:]+\s*")
            .expect("salutation pattern")
    })
}

/// "yes — ", "Sure! ", "Happy to help. " at the start of an answer: the conversation's
/// rhythm, not what the bot should say.
fn interjection() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)^\s*(?:(?:yes|yeah|sure|of course|absolutely|certainly|no problem|happy to help|great question|good news|thanks for (?:waiting|your patience))\b\s*[,.!—–:-]*\s*)+",
        )
        .expect("interjection pattern")
    })
}

/// A customer's question as a line of the prompt draft: no greeting, no "yes —", a capital
/// first.
fn draft_line(question: &str) -> String {
    let without_greeting = salutation().replace(question.trim(), "");
    let core = interjection().replace(without_greeting.trim(), "");
    let core = core.trim();
    // When nothing but the interjection was said, keep what was said.
    let text = if core.is_empty() { without_greeting.trim() } else { core };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn answer_key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The draft: the group's most typical distinct customer questions, quoted, and where the
/// team's answer goes. `questions` are the customers' own lines the group was formed from.
fn prompt_draft(label: &str, questions: &[&str]) -> Option<String> {
    let mut distinct: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for question in questions {
        let line = draft_line(question);
        let key = answer_key(&line);
        if key.is_empty() || keys.contains(&key) {
            continue;
        }
        keys.push(key);
        distinct.push(clip(&line, QUESTION_CHARS));
    }
    if distinct.is_empty() {
        return None;
    }
    let refs: Vec<&str> = distinct.iter().map(String::as_str).collect();
    let mut chosen: Vec<usize> = cluster::most_typical(&refs).into_iter().take(DRAFT_QUESTIONS).collect();
    // In the order the conversations came: easier to find them again in the examples.
    chosen.sort_unstable();
    let mut draft = format!("When customers ask about {label}, for example:");
    for i in chosen {
        let _ = write!(draft, "\n- “{}”", distinct[i].replace(['“', '”'], "\""));
    }
    draft.push_str("\nanswer them yourself instead of handing off: <the answer, in the words the team agrees on>");
    Some(draft)
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Builds the report from cached conversations and their messages, grouping questions by their
/// shared words. Only conversations whose handoff was escalated inside the period count.
pub fn build_report(
    conversations: &[Conversation],
    messages_by_conversation: &HashMap<i64, Vec<Message>>,
    options: &ReviewOptions,
) -> ReviewReport {
    build_grouped_report(conversations, messages_by_conversation, options, Grouping::Words { note: None })
}

/// Builds the report, grouping questions as `grouping` says. Grouping by meaning falls back to
/// words (and says so) when a handoff of the period has no vector.
pub fn build_grouped_report(
    conversations: &[Conversation],
    messages_by_conversation: &HashMap<i64, Vec<Message>>,
    options: &ReviewOptions,
    grouping: Grouping,
) -> ReviewReport {
    let no_messages: Vec<Message> = Vec::new();
    let mut in_period: Vec<(&Conversation, &Handoff, &[Message])> = conversations
        .iter()
        .filter_map(|c| {
            let handoff = c.handoff.as_ref()?;
            (handoff.escalated_at >= options.since && handoff.escalated_at <= options.until).then(|| {
                let messages = messages_by_conversation.get(&c.id).unwrap_or(&no_messages);
                (c, handoff, messages.as_slice())
            })
        })
        .collect();
    in_period.sort_by_key(|(c, _, _)| c.id);
    let total = in_period.len();

    let mut reasons: HashMap<HandoffReason, usize> = HashMap::new();
    let mut days: BTreeMap<chrono::NaiveDate, usize> = BTreeMap::new();
    let mut by_hour = vec![0usize; 24];
    let mut waits = Vec::new();
    let mut handles = Vec::new();
    let mut documents = Vec::with_capacity(total);
    let mut examples: HashMap<i64, (String, String)> = HashMap::new();
    for &(conversation, handoff, messages) in &in_period {
        let at = handoff.escalated_at;
        let local = options.wall_clock(at);
        *reasons.entry(handoff.reason).or_default() += 1;
        *days.entry(local.date()).or_default() += 1;
        by_hour[local.hour() as usize] += 1;
        let first_answer =
            messages.iter().find(|m| m.role == Role::Agent && !m.private && m.created_at >= at).map(|m| m.created_at);
        if let Some(answered) = first_answer {
            waits.push((answered - at).num_seconds().max(0));
            if conversation.status == ConversationStatus::Resolved {
                if let Some(last) = messages.iter().map(|m| m.created_at).max() {
                    handles.push((last - answered).num_seconds().max(0));
                }
            }
        }
        let example = question(messages, at);
        // The bot's topic, when it sent one, names what was asked in the team's own words:
        // the strongest hint for grouping paraphrases of one question.
        documents.push(Document { id: conversation.id, text: example.clone(), hint: handoff.topic.clone() });
        examples.insert(conversation.id, (conversation.customer.name.clone(), example));
    }

    let mut by_reason: Vec<ReasonCount> = HandoffReason::ALL
        .into_iter()
        .filter_map(|reason| reasons.get(&reason).map(|&count| ReasonCount { reason, count }))
        .collect();
    by_reason.sort_by_key(|r| std::cmp::Reverse(r.count));

    let (first_day, last_day) = (options.wall_clock(options.since).date(), options.wall_clock(options.until).date());
    let by_day = if first_day <= last_day && (last_day - first_day).num_days() <= 400 {
        first_day
            .iter_days()
            .take_while(|d| *d <= last_day)
            .map(|d| DayCount { date: d.format("%Y-%m-%d").to_string(), count: days.get(&d).copied().unwrap_or(0) })
            .collect()
    } else {
        days.iter().map(|(d, &count)| DayCount { date: d.format("%Y-%m-%d").to_string(), count }).collect()
    };

    let (clusters, grouping) = group(&documents, grouping);
    let groups = clusters
        .into_iter()
        .map(|group| {
            let size = group.members.len();
            let share = if total == 0 { 0.0 } else { size as f64 / total as f64 };
            let flagged = size > 1 && share >= options.flag_share;
            // Examples: the representative first, then the other members in id order, one per
            // distinct question.
            let mut ordered = vec![group.representative];
            ordered.extend(group.members.iter().copied().filter(|&id| id != group.representative));
            let mut seen: Vec<String> = Vec::new();
            let group_examples: Vec<GroupExample> = ordered
                .iter()
                .filter_map(|id| {
                    let (customer_name, question) = examples.get(id)?;
                    let key = answer_key(question);
                    if question.is_empty() || seen.contains(&key) {
                        return None;
                    }
                    seen.push(key);
                    Some(GroupExample {
                        conversation_id: *id,
                        customer_name: customer_name.clone(),
                        question: question.clone(),
                    })
                })
                .take(EXAMPLES)
                .collect();
            let (suggestion, draft) = if flagged {
                let suggestion = format!(
                    "Update the bot: {} of handoffs ({size} of {total}) ask about {}.",
                    percent(share),
                    group.label
                );
                // The customers' questions, as grouped: never what an agent or the bot wrote.
                let questions: Vec<&str> =
                    group.members.iter().filter_map(|id| examples.get(id)).map(|(_, q)| q.as_str()).collect();
                (Some(suggestion), prompt_draft(&group.label, &questions))
            } else {
                (None, None)
            };
            QuestionGroup {
                label: group.label,
                size,
                share,
                conversation_ids: group.members,
                examples: group_examples,
                flagged,
                suggestion,
                prompt_draft: draft,
            }
        })
        .collect();

    ReviewReport {
        period_start: options.since,
        period_end: options.until,
        total_handoffs: total,
        by_reason,
        by_day,
        by_hour,
        utc_offset_minutes: options.offset_at_end(),
        flag_share: options.flag_share,
        median_wait_seconds: median(waits),
        median_handle_seconds: median(handles),
        groups,
        grouping,
    }
}

/// The clusters of `documents`, and how they were formed.
fn group(documents: &[Document], grouping: Grouping) -> (Vec<cluster::Cluster>, ReviewGrouping) {
    let by_words = |note: Option<String>| {
        (cluster::cluster(documents), ReviewGrouping { method: GroupingMethod::Words, model: None, note })
    };
    match grouping {
        Grouping::Words { note } => by_words(note),
        Grouping::Meaning { model, mut vectors } => {
            let mut ordered = Vec::with_capacity(documents.len());
            for document in documents {
                match vectors.remove(&document.id) {
                    Some(vector) => ordered.push(vector),
                    None => {
                        return by_words(Some(format!(
                            "Grouped by shared words: handoff {} has no sentence vector yet.",
                            document.id
                        )))
                    }
                }
            }
            let clusters = semantic::cluster_by_meaning(documents, &ordered);
            (clusters, ReviewGrouping { method: GroupingMethod::Meaning, model: Some(model), note: None })
        }
    }
}

/// "45s", "3m 20s", "2h 05m".
fn duration(seconds: Option<i64>) -> String {
    match seconds {
        None => "–".to_string(),
        Some(s) if s < 60 => format!("{s}s"),
        Some(s) if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        Some(s) => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// How the groups were formed, in a sentence for the team.
pub fn grouping_line(grouping: &ReviewGrouping) -> String {
    match (grouping.method, &grouping.note) {
        (GroupingMethod::Meaning, _) => format!(
            "Grouped by meaning ({}, on this device): the same question in other words is one group.",
            grouping.model.as_deref().unwrap_or("sentence vectors")
        ),
        (GroupingMethod::Words, Some(note)) => note.clone(),
        (GroupingMethod::Words, None) => "Grouped by shared words.".to_string(),
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace('\\', "\\\\").replace('|', "\\|")
}

/// A file name for an export of the report, without extension:
/// "handoff-review-2026-11-18-to-2026-11-25" (dates in the report's zone).
pub fn export_file_stem(report: &ReviewReport) -> String {
    let zone = fixed_offset(report.utc_offset_minutes);
    format!(
        "handoff-review-{}-to-{}",
        report.period_start.with_timezone(&zone).format("%Y-%m-%d"),
        report.period_end.with_timezone(&zone).format("%Y-%m-%d")
    )
}

/// The report as Markdown, with tables.
pub fn to_markdown(report: &ReviewReport) -> String {
    let mut md = String::new();
    let zone = fixed_offset(report.utc_offset_minutes);
    let zone_name = zone_label(report.utc_offset_minutes);
    let _ = writeln!(
        md,
        "# Handoff review {} – {} ({zone_name})\n",
        report.period_start.with_timezone(&zone).format("%Y-%m-%d %H:%M"),
        report.period_end.with_timezone(&zone).format("%Y-%m-%d %H:%M")
    );
    let _ = writeln!(
        md,
        "**{} handoffs** · median wait {} · median handling time {}\n",
        report.total_handoffs,
        duration(report.median_wait_seconds),
        duration(report.median_handle_seconds)
    );
    if report.total_handoffs == 0 {
        md.push_str("No handoffs in this period.\n");
        return md;
    }
    let flagged: Vec<&QuestionGroup> = report.groups.iter().filter(|g| g.flagged).collect();
    if !flagged.is_empty() {
        md.push_str("## What the bot should learn\n\n");
        for group in &flagged {
            let _ = writeln!(md, "### {}\n", cell(&group.label));
            if let Some(suggestion) = &group.suggestion {
                let _ = writeln!(md, "{suggestion}\n");
            }
            for example in &group.examples {
                let _ = writeln!(
                    md,
                    "- “{}” — {} (#{})",
                    cell(&example.question),
                    cell(&example.customer_name),
                    example.conversation_id
                );
            }
            md.push('\n');
            if let Some(draft) = &group.prompt_draft {
                md.push_str("Draft for the bot's system prompt:\n\n```text\n");
                md.push_str(&draft.replace("```", "'''"));
                md.push_str("\n```\n\n");
            }
        }
    }
    md.push_str("## Question groups\n\n");
    let _ = writeln!(md, "{}\n", grouping_line(&report.grouping));
    md.push_str("| # | group | handoffs | share | example |\n|---:|---|---:|---:|---|\n");
    for (i, group) in report.groups.iter().enumerate() {
        let example = group.examples.first().map(|e| cell(&e.question)).unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} | {}{} | {} | {} | {} |",
            i + 1,
            cell(&group.label),
            if group.flagged { " ⚑" } else { "" },
            group.size,
            percent(group.share),
            example
        );
    }
    md.push_str("\n## Why the bot handed off\n\n| reason | handoffs | share |\n|---|---:|---:|\n");
    for reason in &report.by_reason {
        let share = reason.count as f64 / report.total_handoffs as f64;
        let _ =
            writeln!(md, "| {} | {} | {} |", reason.reason.as_str().replace('_', " "), reason.count, percent(share));
    }
    md.push_str("\n## By day\n\n| date | handoffs |\n|---|---:|\n");
    for day in &report.by_day {
        let _ = writeln!(md, "| {} | {} |", day.date, day.count);
    }
    let _ = write!(md, "\n## By hour ({zone_name})\n\n| hour | handoffs |\n|---|---:|\n");
    for (hour, count) in report.by_hour.iter().enumerate().filter(|(_, c)| **c > 0) {
        let _ = writeln!(md, "| {hour:02}:00 | {count} |");
    }
    md
}

/// One CSV field, quoted when it has to be (RFC 4180). Customer text that a spreadsheet would
/// run as a formula (`=`, `+`, `-`, `@` first) is prefixed with `'` so it stays text.
fn csv_field(text: &str) -> String {
    let guarded;
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{text}");
        guarded.as_str()
    } else {
        text
    };
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One row per group: `label,size,share,flagged,conversation_ids,example` (ids joined by
/// spaces; the example is the group's most typical question).
pub fn to_csv(report: &ReviewReport) -> String {
    let mut csv = String::from("label,size,share,flagged,conversation_ids,example\r\n");
    for group in &report.groups {
        let ids = group.conversation_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
        let example = group.examples.first().map(|e| e.question.as_str()).unwrap_or_default();
        let _ = write!(
            csv,
            "{},{},{:.4},{},{},{}\r\n",
            csv_field(&group.label),
            group.size,
            group.share,
            group.flagged,
            csv_field(&ids),
            csv_field(example)
        );
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-10T09:00:00Z").unwrap().with_timezone(&Utc) + Duration::minutes(minutes)
    }

    fn conversation(id: i64, name: &str, escalated: i64, status: ConversationStatus) -> Conversation {
        Conversation {
            id,
            external_id: format!("ext-{id}"),
            channel: "web".into(),
            status,
            assignee: None,
            customer: Customer {
                id: format!("c-{id}"),
                name: name.into(),
                email: None,
                phone: None,
                vip: false,
                account_value: None,
            },
            handoff: Some(Handoff {
                reason: if id % 2 == 0 { HandoffReason::Sentiment } else { HandoffReason::ExplicitRequest },
                trigger: "human".into(),
                escalated_at: at(escalated),
                summary: None,
                topic: None,
            }),
            priority: Priority::Normal,
            version: 1,
            created_at: at(escalated - 5),
            updated_at: at(escalated),
            last_message_seq: 0,
            tags: Vec::new(),
        }
    }

    fn message(id: i64, seq: i64, role: Role, text: &str, minute: i64) -> Message {
        Message {
            conversation_id: id,
            seq,
            role,
            author: role.as_str().into(),
            text: text.into(),
            private: false,
            client_id: None,
            created_at: at(minute),
        }
    }

    /// Four annual-billing handoffs, two refunds, one login — and one outside the period.
    fn sample() -> (Vec<Conversation>, HashMap<i64, Vec<Message>>) {
        let questions: [(&str, &str); 8] = [
            ("Sam Carter", "Can I pay yearly instead of monthly?"),
            ("Ana Lima", "how do I switch to annual billing"),
            ("Marcus Johnson", "where is my refund"),
            ("Li Na", "annual billing, how?"),
            ("Tom Berg", "my refund still hasn't arrived"),
            ("Eve Stone", "I can't log in"),
            ("Olu Ade", "is annual billing cheaper than monthly"),
            ("Old Timer", "annual billing please"),
        ];
        let mut conversations = Vec::new();
        let mut messages = HashMap::new();
        for (i, (name, q)) in questions.iter().enumerate() {
            let id = i as i64 + 1;
            let escalated = if id == 8 { -60 * 24 * 30 } else { id * 60 };
            let status = if id <= 2 { ConversationStatus::Resolved } else { ConversationStatus::Waiting };
            conversations.push(conversation(id, name, escalated, status));
            let mut list = vec![
                message(id, 1, Role::Customer, "hi", escalated - 2),
                message(id, 2, Role::Customer, q, escalated - 1),
                message(id, 3, Role::Customer, "human please", escalated),
                message(id, 4, Role::Customer, "hello?? still there? waiting forever", escalated + 1),
            ];
            if id <= 2 {
                list.push(message(
                    id,
                    5,
                    Role::Agent,
                    &format!("Hi {name}, annual billing gives you 2 months free."),
                    escalated + 2 * id,
                ));
                list.push(message(
                    id,
                    6,
                    Role::Agent,
                    "Switch under Settings → Billing → Pay annually.",
                    escalated + 10,
                ));
            }
            messages.insert(id, list);
        }
        (conversations, messages)
    }

    fn options() -> ReviewOptions {
        ReviewOptions {
            since: at(0),
            until: at(60 * 24),
            flag_share: DEFAULT_FLAG_SHARE,
            utc_offset_minutes: 0,
            local_time: false,
        }
    }

    #[test]
    fn the_report_counts_groups_and_flags_the_big_one() {
        let (conversations, messages) = sample();
        let report = build_report(&conversations, &messages, &options());
        assert_eq!(report.total_handoffs, 7);
        assert_eq!(
            report.by_reason,
            [
                ReasonCount { reason: HandoffReason::ExplicitRequest, count: 4 },
                ReasonCount { reason: HandoffReason::Sentiment, count: 3 }
            ]
        );
        assert_eq!(
            report.by_day,
            [DayCount { date: "2025-03-10".into(), count: 7 }, DayCount { date: "2025-03-11".into(), count: 0 }]
        );
        assert_eq!(report.by_hour.len(), 24);
        assert_eq!(report.by_hour.iter().sum::<usize>(), 7);
        assert_eq!(report.by_hour[10], 1);
        // Waits: 2 and 4 minutes; handling: (10 - 2) and (10 - 4) minutes.
        assert_eq!(report.median_wait_seconds, Some(180));
        assert_eq!(report.median_handle_seconds, Some(420));

        let annual = &report.groups[0];
        assert_eq!(annual.conversation_ids, [1, 2, 4, 7]);
        assert!(annual.flagged);
        assert!((annual.share - 4.0 / 7.0).abs() < 1e-9);
        let suggestion = annual.suggestion.as_deref().unwrap();
        assert!(suggestion.starts_with("Update the bot: 57% of handoffs (4 of 7) ask about "), "{suggestion}");
        let draft = annual.prompt_draft.as_deref().unwrap();
        assert!(draft.starts_with(&format!("When customers ask about {}, for example:", annual.label)), "{draft}");
        // The customers' own questions, quoted; none of the agents' answers.
        let asked = [
            "Can I pay yearly instead of monthly?",
            "How do I switch to annual billing",
            "Annual billing, how?",
            "Is annual billing cheaper than monthly",
        ];
        let quoted: Vec<&str> = draft.lines().filter_map(|l| l.strip_prefix("- “")?.strip_suffix('”')).collect();
        assert_eq!(quoted.len(), 3, "{draft}");
        assert!(quoted.iter().all(|q| asked.contains(q)), "{draft}");
        assert!(!draft.contains("2 months free") && !draft.contains("Settings →"), "{draft}");
        assert_eq!(annual.examples.len(), 3);
        assert!(annual.examples.iter().all(|e| !e.question.contains("human please")));
        let refund = report.groups.iter().find(|g| g.conversation_ids == [3, 5]).expect("a refund group");
        assert!(refund.flagged, "2 of 7 is above 20%");
        let refund_draft = refund.prompt_draft.as_deref().expect("a draft even where no agent answered");
        assert!(refund_draft.contains("“Where is my refund”"), "{refund_draft}");
        let login = report.groups.iter().find(|g| g.conversation_ids == [6]).expect("a login group");
        assert!(!login.flagged, "a single handoff is never flagged");
        assert!((report.groups.iter().map(|g| g.share).sum::<f64>() - 1.0).abs() < 1e-9);
        // Deterministic.
        assert_eq!(build_report(&conversations, &messages, &options()), report);
    }

    #[test]
    fn the_prompt_draft_quotes_customers_never_agents_or_the_bot() {
        // Agents answered with what they did; the bot said its lines: none of it is a question.
        let mut conversations = Vec::new();
        let mut messages = HashMap::new();
        let asks = ["where is my refund?", "my refund has not arrived yet", "when will I get my refund"];
        for (i, ask) in asks.iter().enumerate() {
            let id = i as i64 + 1;
            let mut asked = conversation(id, "Sam", id * 10, ConversationStatus::Resolved);
            if let Some(handoff) = asked.handoff.as_mut() {
                handoff.topic = Some("refund".into());
            }
            conversations.push(asked);
            messages.insert(
                id,
                vec![
                    message(id, 1, Role::Bot, "I can help with refunds! What is your order number?", id * 10 - 3),
                    message(id, 2, Role::Customer, ask, id * 10 - 2),
                    message(id, 3, Role::Bot, "Let me get a human for you.", id * 10),
                    message(id, 4, Role::Agent, "I've issued the refund to your card just now.", id * 10 + 1),
                    message(id, 5, Role::Agent, "Escalated to billing and closed the ticket.", id * 10 + 2),
                ],
            );
        }
        conversations.push(conversation(4, "Eve", 50, ConversationStatus::Resolved));
        messages.insert(4, vec![message(4, 1, Role::Customer, "I cannot log in to my account", 49)]);
        let report = build_report(&conversations, &messages, &options());
        let group = report.groups.iter().find(|g| g.flagged).expect("one flagged group");
        assert_eq!(group.conversation_ids, [1, 2, 3]);
        let draft = group.prompt_draft.as_deref().expect("a draft");
        for ask in asks {
            assert!(draft.contains(&draft_line(ask)), "{ask:?} quoted in {draft}");
        }
        for line in ["issued the refund", "Escalated to billing", "order number", "get a human"] {
            assert!(!draft.contains(line), "{line:?} is not a customer's line: {draft}");
        }
    }

    #[test]
    fn draft_lines_drop_greetings_and_interjections() {
        assert_eq!(
            draft_line("Hi Sam, yes — annual billing gives you 2 months free."),
            "Annual billing gives you 2 months free."
        );
        assert_eq!(draft_line("happy to help! Annual billing is 2 months free."), "Annual billing is 2 months free.");
        assert_eq!(draft_line("Sure, of course: we ship on Mondays."), "We ship on Mondays.");
        assert_eq!(
            draft_line("Yesterday's order shipped."),
            "Yesterday's order shipped.",
            "a word, not an interjection"
        );
        assert_eq!(draft_line("Yes!"), "Yes!");
    }

    #[test]
    fn days_and_hours_follow_the_viewers_offset() {
        let (conversations, messages) = sample();
        // 09:00 UTC is 23:00 the day before in UTC-10.
        let options = options().at_offset(-600);
        let report = build_report(&conversations, &messages, &options);
        assert_eq!(report.by_day.first().map(|d| d.date.as_str()), Some("2025-03-09"));
        assert_eq!(report.by_hour.iter().sum::<usize>(), 7);
        assert_eq!(report.by_hour[0], 1, "10:00 UTC is 00:00 in UTC-10");
        let md = to_markdown(&report);
        assert!(md.starts_with("# Handoff review 2025-03-09 23:00 – 2025-03-10 23:00 (UTC-10:00)"), "{md}");
        assert!(md.contains("## By hour (UTC-10:00)"), "{md}");
        assert_eq!(export_file_stem(&report), "handoff-review-2025-03-09-to-2025-03-10");
        assert_eq!(zone_label(90), "UTC+01:30");
        assert_eq!(fixed_offset(100_000), Utc.fix(), "nonsense offsets count as UTC");
        // Local time: each instant at the offset the computer's zone has at that instant.
        let local = build_report(&conversations, &messages, &options.in_local_time());
        let expected_hour = |instant: DateTime<Utc>| instant.with_timezone(&chrono::Local).hour() as usize;
        let first = conversations[0].handoff.as_ref().unwrap().escalated_at;
        assert!(local.by_hour[expected_hour(first)] >= 1);
        assert_eq!(local.utc_offset_minutes, at(60 * 24).with_timezone(&chrono::Local).offset().local_minus_utc() / 60);
    }

    #[test]
    fn an_empty_period_gives_an_empty_report() {
        let (conversations, messages) = sample();
        let options = ReviewOptions {
            since: at(-600),
            until: at(-300),
            flag_share: 0.2,
            utc_offset_minutes: 0,
            local_time: false,
        };
        let report = build_report(&conversations, &messages, &options);
        assert_eq!(report.total_handoffs, 0);
        assert!(report.groups.is_empty());
        assert_eq!(report.median_wait_seconds, None);
        assert!(to_markdown(&report).contains("No handoffs in this period."));
        assert_eq!(to_csv(&report), "label,size,share,flagged,conversation_ids,example\r\n");
    }

    #[test]
    fn markdown_has_the_tables() {
        let (conversations, messages) = sample();
        let md = to_markdown(&build_report(&conversations, &messages, &options()));
        assert!(md.starts_with("# Handoff review 2025-03-10 09:00 – 2025-03-11 09:00 (UTC)"), "{md}");
        assert!(md.contains("**7 handoffs** · median wait 3m 00s · median handling time 7m 00s"), "{md}");
        assert!(md.contains("## What the bot should learn"), "{md}");
        assert!(md.contains("| # | group | handoffs | share | example |"), "{md}");
        assert!(md.contains("| explicit request | 4 | 57% |"), "{md}");
        assert!(md.contains("| 2025-03-10 | 7 |"), "{md}");
        assert!(md.contains("| 10:00 | 1 |"), "{md}");
        assert!(md.contains("```text\nWhen customers ask about"), "{md}");
    }

    #[test]
    fn csv_has_one_row_per_group_and_quotes_what_needs_it() {
        let (conversations, messages) = sample();
        let mut report = build_report(&conversations, &messages, &options());
        let csv = to_csv(&report);
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), report.groups.len() + 1);
        assert!(lines[1].contains(",4,0.5714,true,1 2 4 7,"), "{csv}");
        report.groups.truncate(1);
        report.groups[0].label = "refund, \"where\" is it".into();
        report.groups[0].conversation_ids = vec![5];
        report.groups[0].examples.truncate(1);
        report.groups[0].examples[0].question = "=HYPERLINK(\"http://x\")".into();
        assert_eq!(
            to_csv(&report),
            "label,size,share,flagged,conversation_ids,example\r\n\
             \"refund, \"\"where\"\" is it\",4,0.5714,true,5,\"'=HYPERLINK(\"\"http://x\"\")\"\r\n"
        );
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("-1 refund"), "'-1 refund");
        assert_eq!(csv_field("@admin"), "'@admin");
    }

    #[test]
    fn the_report_round_trips_as_json() {
        let (conversations, messages) = sample();
        let report = build_report(&conversations, &messages, &options());
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<ReviewReport>(&json).unwrap(), report);
    }
}
