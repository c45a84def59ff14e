//! Human-readable output. Everything from the service is untrusted: each value goes through
//! [`safe`] (or [`line`], built on it), so nothing a customer or the service wrote can drive the
//! terminal or forge a line of output.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use handoff_core::sync::SyncReport;
use handoff_core::*;
use handoff_protocol::*;

use crate::terminal::safe;

/// One line, at most `max` characters: line breaks read as spaces, the rest is [`safe`].
fn line(text: &str, max: usize) -> String {
    let flat: String = safe(&text.replace("\r\n", " ").replace('\n', " "));
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        3600..=86_399 => format!("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60),
        _ => format!("{}d{:02}h", seconds / 86_400, (seconds % 86_400) / 3600),
    }
}

fn reason(reason: Option<HandoffReason>) -> &'static str {
    reason.map(HandoffReason::as_str).unwrap_or("-")
}

pub fn sync_report(report: &SyncReport) -> String {
    let mut out = format!(
        "synced: {} change(s), {} conversation(s) updated, {} new message(s)",
        report.changes, report.conversations_changed, report.messages_added
    );
    if report.new_escalations > 0 {
        let _ = write!(out, ", {} new escalation(s)", report.new_escalations);
    }
    if report.sent + report.failed > 0 {
        let _ = write!(out, "; outbox: {} sent, {} failed", report.sent, report.failed);
    }
    if report.resynced {
        out.push_str(" (full resync)");
    }
    out
}

/// The header line of the queue table.
pub fn queue_header() -> String {
    format!(
        "{:>6}  {:<8} {:<3} {:<16} {:<22} {:>8}  {}\n",
        "ID", "PRIORITY", "VIP", "REASON", "CUSTOMER", "WAITING", "LAST CUSTOMER LINE"
    )
}

/// One row of the queue table: unread lines, the first-response deadline and the snooze after
/// the customer's last line.
pub fn queue_row(item: &QueueItem, now: DateTime<Utc>) -> String {
    let waited = item.escalated_at.map(|t| duration((now - t).num_seconds())).unwrap_or_else(|| "-".into());
    let mut marks = String::new();
    if item.unread > 0 {
        let _ = write!(marks, " ({} new)", item.unread);
    }
    if let Some(due) = item.first_response_due_at {
        let left = (due - now).num_seconds();
        if left <= 0 {
            let _ = write!(marks, " [overdue {}]", duration(-left));
        } else {
            let _ = write!(marks, " [answer within {}]", duration(left));
        }
    }
    if let Some(until) = item.snoozed_until {
        let _ = write!(marks, " [snoozed until {}]", until.format("%Y-%m-%d %H:%M UTC"));
    }
    if item.woke_from_snooze {
        marks.push_str(" [back from snooze]");
    }
    let mut row = format!(
        "{:>6}  {:<8} {:<3} {:<16} {:<22} {:>8}  {}{}\n",
        item.id,
        item.priority.as_str(),
        if item.vip { "★" } else { "" },
        reason(item.reason),
        line(&item.customer_name, 22),
        waited,
        line(item.last_customer_text.as_deref().unwrap_or(""), 60),
        marks
    );
    if !item.tags.is_empty() {
        let _ = writeln!(row, "{:>6}  tags: {}", "", tag_list(&item.tags));
    }
    row
}

/// What a queue listing cut by `--limit` left out (stderr note and human footer).
pub fn queue_cut(shown: u64, total: u64) -> Option<String> {
    (shown < total).then(|| format!("showing {shown} of {total} conversations (--limit)"))
}

pub fn conversation(view: &ConversationView) -> String {
    let c = &view.conversation;
    let mut out = String::new();
    let vip = if c.customer.vip { " ★ VIP" } else { "" };
    let _ =
        writeln!(out, "#{} {}{} — {} via {}", c.id, safe(&c.customer.name), vip, c.status.as_str(), safe(&c.channel));
    if let Some(email) = &c.customer.email {
        let _ = writeln!(out, "  email: {}", safe(email));
    }
    if let Some(phone) = &c.customer.phone {
        let _ = writeln!(out, "  phone: {}", safe(phone));
    }
    if let Some(h) = &c.handoff {
        let _ = writeln!(
            out,
            "  handoff: {} ({}) at {}, priority {}",
            h.reason.as_str(),
            safe(&h.trigger),
            h.escalated_at.format("%Y-%m-%d %H:%M"),
            c.priority.as_str()
        );
        if let Some(summary) = &h.summary {
            let _ = writeln!(out, "  summary: {}", safe(summary));
        }
    }
    if let Some(assignee) = &c.assignee {
        let _ = writeln!(out, "  assignee: {}", safe(&assignee.name));
    }
    if !c.tags.is_empty() {
        let _ = writeln!(out, "  tags: {}", tag_list(&c.tags));
    }
    out.push('\n');
    for m in &view.messages {
        let seq = m.seq.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
        let mark = match (m.state, m.private) {
            (DeliveryState::Pending, _) => " [pending]".to_string(),
            (DeliveryState::Failed, _) => format!(" [failed: {}]", safe(m.error.as_deref().unwrap_or("refused"))),
            (DeliveryState::Sent, true) => " [note]".to_string(),
            (DeliveryState::Sent, false) => String::new(),
        };
        let _ = writeln!(
            out,
            "{:>4} {} {} ({}){}:\n     {}",
            seq,
            m.created_at.format("%H:%M"),
            safe(&m.author),
            m.role.as_str(),
            mark,
            // Each line of the message escaped on its own, continuation lines indented.
            m.text.lines().map(safe).collect::<Vec<_>>().join("\n     ")
        );
    }
    out
}

fn tag_list(tags: &[String]) -> String {
    tags.iter().map(|t| line(t, 40)).collect::<Vec<_>>().join(", ")
}

/// The tag catalogue, one tag a line with its colour.
pub fn tags(tags: &[Tag]) -> String {
    if tags.is_empty() {
        return "no tags: an admin adds them with `handoff-service tags add NAME` (then run `handoff sync`)\n".into();
    }
    let mut out = String::new();
    for tag in tags {
        let _ = writeln!(out, "{:<40} {}", line(&tag.name, 40), line(tag.color.as_deref().unwrap_or("-"), 8));
    }
    out
}

pub fn search(hits: &[SearchHit]) -> String {
    if hits.is_empty() {
        return "no matches\n".into();
    }
    let mut out = String::new();
    for hit in hits {
        let snippet: String = hit
            .snippet
            .iter()
            .map(|p| if p.highlight { format!("[{}]", line(&p.text, 200)) } else { line(&p.text, 200) })
            .collect();
        let _ = writeln!(out, "#{}:{} {} — {}", hit.conversation_id, hit.seq, safe(&hit.customer_name), snippet);
    }
    out
}

pub fn outbox(items: &[OutboxItem]) -> String {
    if items.is_empty() {
        return "the outbox is empty: everything was delivered\n".into();
    }
    let mut out = String::new();
    for item in items {
        let kind = if item.private { "note" } else { "reply" };
        let state = match item.state {
            DeliveryState::Failed => format!("failed: {}", line(item.error.as_deref().unwrap_or("refused"), 120)),
            other => other.as_str().to_string(),
        };
        let _ = writeln!(
            out,
            "{} #{} {} ({}) {}",
            safe(&item.client_id),
            item.conversation_id,
            kind,
            state,
            line(&item.text, 60)
        );
    }
    out
}

pub fn status(
    server: Option<&str>,
    me: Option<&AgentRef>,
    status: &SyncStatus,
    stats: Option<&QueueStats>,
    unsent: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "server:      {}", server.map(safe).as_deref().unwrap_or("(not signed in)"));
    let _ = writeln!(out, "agent:       {}", me.map(|a| safe(&a.name)).as_deref().unwrap_or("(unknown)"));
    let _ = writeln!(out, "cursor:      {}", status.cursor);
    let last = status.last_synced_at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string());
    let _ = writeln!(out, "last synced: {}", last.as_deref().unwrap_or("never"));
    if let Some(stats) = stats {
        let wait = stats.estimated_wait_seconds.map(duration).unwrap_or_else(|| "no agent available".into());
        let _ = writeln!(
            out,
            "queue:       {} waiting, {} agent(s) available, estimated wait {}",
            stats.waiting, stats.available_agents, wait
        );
    }
    let _ = writeln!(out, "outbox:      {unsent} unsent");
    out
}

pub fn event(event: &CoreEvent) -> String {
    let now = Utc::now().format("%H:%M:%S");
    match event {
        CoreEvent::NewEscalation { conversation, last_customer_text } => {
            let h = conversation.handoff.as_ref();
            format!(
                "{now} new escalation #{} {}{} [{}] {}: {}",
                conversation.id,
                line(&conversation.customer.name, 40),
                if conversation.customer.vip { " ★" } else { "" },
                conversation.priority.as_str(),
                reason(h.map(|h| h.reason)),
                line(last_customer_text.as_deref().unwrap_or(""), 80)
            )
        }
        CoreEvent::EscalationBacklog { count, .. } => format!("{now} {count} conversations waiting"),
        CoreEvent::CustomerWrote { conversation, message } => format!(
            "{now} customer wrote in your conversation #{} {}: {}",
            conversation.id,
            line(&conversation.customer.name, 40),
            line(&message.text, 80)
        ),
        CoreEvent::CustomerBacklog { count, .. } => {
            format!("{now} customers wrote in {count} of your conversations")
        }
        CoreEvent::ConversationChanged { conversation } => format!(
            "{now} conversation #{} {} ({}){}",
            conversation.id,
            line(&conversation.customer.name, 40),
            conversation.status.as_str(),
            conversation.assignee.as_ref().map(|a| format!(" → {}", line(&a.name, 30))).unwrap_or_default()
        ),
        CoreEvent::MessageAdded { message } => format!(
            "{now} message #{}:{} {} ({}): {}",
            message.conversation_id,
            message.seq,
            line(&message.author, 30),
            message.role.as_str(),
            line(&message.text, 80)
        ),
        CoreEvent::ConnectionChanged { status } => match &status.connection {
            ConnectionState::Online => format!("{now} online (cursor {})", status.cursor),
            ConnectionState::Connecting { attempt } => format!("{now} connecting (attempt {attempt})"),
            ConnectionState::Offline { since, error, .. } => {
                format!("{now} offline since {}: {}", since.format("%H:%M"), line(error, 120))
            }
            ConnectionState::Refused { error, .. } => format!(
                "{now} refused: {}; sign in again (`handoff login`) or wipe this device (`handoff logout --clear-cache`)",
                line(error, 120)
            ),
        },
        CoreEvent::OutboxChanged { item } => format!(
            "{now} outbox {} #{} {}{}",
            safe(&item.client_id),
            item.conversation_id,
            item.state.as_str(),
            item.error.as_deref().map(|e| format!(": {}", line(e, 80))).unwrap_or_default()
        ),
        CoreEvent::AgentsChanged { agents } => {
            let available = agents.iter().filter(|a| a.presence == Presence::Available).count();
            format!("{now} agents: {} ({available} available)", agents.len())
        }
        CoreEvent::ConversationActivity { conversation_id, agent, activity, .. } => {
            format!("{now} #{conversation_id}: {} {}", line(&agent.name, 30), activity.as_str().replace('_', " "))
        }
        CoreEvent::TagsChanged { tags } => format!("{now} tag catalogue: {} tag(s)", tags.len()),
        CoreEvent::QueueStatsChanged { stats } => format!(
            "{now} queue: {} waiting, {} available, estimated wait {}",
            stats.waiting,
            stats.available_agents,
            stats.estimated_wait_seconds.map(duration).unwrap_or_else(|| "-".into())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_values_read_line_breaks_as_spaces() {
        assert_eq!(line("one\ntwo\r\nthree\rfour", 40), "one two three\\rfour");
        assert_eq!(line("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(125), "2m05s");
        assert_eq!(duration(7260), "2h01m");
        assert_eq!(duration(90_000), "1d01h");
    }
}
