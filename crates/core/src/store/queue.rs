//! The queue tabs: which conversations each shows, in what order, a page at a time — with the
//! first-response deadline of each row, its snooze, and the unread counts of the badge.

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use rusqlite::types::ToSql;
use rusqlite::{Connection, Row, Statement};

use super::{time_from_ms, LocalStore};
use crate::error::CoreResult;
use crate::preferences::{ServiceTargets, SERVICE_TARGETS_SETTING};
use crate::views::*;

/// Parameters every queue statement may use (each binds only those it names).
pub(super) struct QueueParams {
    me: i64,
    now_ms: i64,
    target_minutes: i64,
    offset: i64,
    limit: i64,
    /// Only conversations carrying this tag.
    pub(super) tag: Option<String>,
}

impl QueueParams {
    pub(super) fn bind(&self, stmt: &mut Statement) -> rusqlite::Result<()> {
        let values: [(&str, &dyn ToSql); 6] = [
            (":tag", &self.tag),
            (":me", &self.me),
            (":now", &self.now_ms),
            (":target", &self.target_minutes),
            (":offset", &self.offset),
            (":limit", &self.limit),
        ];
        for (name, value) in values {
            if let Some(index) = stmt.parameter_index(name)? {
                stmt.raw_bind_parameter(index, value)?;
            }
        }
        Ok(())
    }
}

/// The snooze of one of my conversations, when there is one (joined only to conversations that
/// are still mine: a snooze of a conversation transferred or resolved no longer counts).
const FROM: &str = "FROM conversations c LEFT JOIN snoozes s ON s.conversation_id = c.id AND s.agent_id = :me \
     AND c.status = 'assigned' AND c.assignee_id = :me";

/// Still asleep: its time has not come and the customer has not written since.
pub(super) const SNOOZED: &str =
    "(s.conversation_id IS NOT NULL AND s.until_ms > :now AND NOT EXISTS (SELECT 1 FROM messages w \
     WHERE w.conversation_id = c.id AND w.seq > s.snoozed_seq AND w.role = 'customer'))";

/// The first-response deadline: while no public agent line was written since the handoff.
pub(super) const DUE: &str =
    "(CASE WHEN :target > 0 AND c.escalated_at_ms IS NOT NULL AND c.status IN ('waiting', 'assigned') \
     AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.conversation_id = c.id AND r.role = 'agent' AND r.private = 0 \
     AND r.created_at_ms >= c.escalated_at_ms) THEN c.escalated_at_ms + :target * 60000 END)";

fn columns() -> String {
    format!(
        "c.id, c.status, c.channel, c.customer_name, c.customer_vip, c.handoff_reason, c.handoff_trigger, c.topic, \
         c.priority, c.escalated_at_ms, c.updated_at_ms, c.assignee_id, c.assignee_name, \
         (SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'customer' ORDER BY m.seq DESC LIMIT 1), \
         max(c.last_message_seq - c.read_seq, 0), {DUE}, CASE WHEN {SNOOZED} THEN s.until_ms END, \
         s.conversation_id IS NOT NULL AND NOT {SNOOZED}, c.tags"
    )
}

/// The tag filter every tab applies (`:tag` null: all).
const TAGGED: &str = "(:tag IS NULL OR EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = :tag))";

/// Which rows a tab shows, and in what order.
fn tab_sql(tab: QueueTab) -> (String, String) {
    let overdue = format!("coalesce({DUE} <= :now, 0) DESC");
    let woke = format!("(s.conversation_id IS NOT NULL AND NOT {SNOOZED}) DESC");
    match tab {
        // Past the target, then priority, then VIP, then the longest wait.
        QueueTab::Waiting => (
            "c.status = 'waiting'".into(),
            format!("{overdue}, c.priority_rank, c.customer_vip DESC, c.escalated_at_ms, c.id"),
        ),
        QueueTab::Mine => (
            format!("c.status = 'assigned' AND c.assignee_id = :me AND NOT {SNOOZED}"),
            format!("{overdue}, {woke}, c.priority_rank, c.escalated_at_ms, c.id"),
        ),
        QueueTab::Recent => ("c.status IN ('resolved', 'bot')".into(), "c.updated_at_ms DESC, c.id DESC".into()),
        QueueTab::Snoozed => {
            (format!("c.status = 'assigned' AND c.assignee_id = :me AND {SNOOZED}"), "s.until_ms, c.id".into())
        }
    }
}

fn queue_item_from_row(row: &Row) -> rusqlite::Result<QueueItem> {
    let status: String = row.get(1)?;
    let reason: Option<String> = row.get(5)?;
    let priority: String = row.get(8)?;
    Ok(QueueItem {
        id: row.get(0)?,
        status: ConversationStatus::parse(&status).unwrap_or(ConversationStatus::Waiting),
        channel: row.get(2)?,
        customer_name: row.get(3)?,
        vip: row.get(4)?,
        reason: reason.as_deref().and_then(HandoffReason::parse),
        trigger: row.get(6)?,
        topic: row.get(7)?,
        priority: Priority::parse(&priority).unwrap_or(Priority::Normal),
        escalated_at: row.get::<_, Option<i64>>(9)?.map(time_from_ms),
        updated_at: time_from_ms(row.get(10)?),
        assignee: match (row.get::<_, Option<i64>>(11)?, row.get::<_, Option<String>>(12)?) {
            (Some(id), Some(name)) => Some(AgentRef { id, name }),
            _ => None,
        },
        last_customer_text: row.get(13)?,
        unread: row.get(14)?,
        first_response_due_at: row.get::<_, Option<i64>>(15)?.map(time_from_ms),
        snoozed_until: row.get::<_, Option<i64>>(16)?.map(time_from_ms),
        woke_from_snooze: row.get(17)?,
        tags: super::rows::tags_from_json(&row.get::<_, String>(18)?),
    })
}

impl LocalStore {
    /// The first `limit` rows of a queue tab now (what the desktop shows); with `tag`, only the
    /// conversations carrying that tag.
    pub fn queue(&self, tab: QueueTab, me: Option<i64>, tag: Option<&str>, limit: u32) -> CoreResult<Vec<QueueItem>> {
        self.read(|conn| {
            let mut params = Self::queue_params(conn, me, Utc::now(), 0, u64::from(limit))?;
            params.tag = tag.map(str::to_string);
            Self::page_in(conn, tab, &params)
        })
    }

    /// Rows `offset..offset + limit` of a queue tab as it stands at `now` (deadlines and
    /// snoozes are compared with `now`). Without `me`, Mine and Snoozed are empty.
    pub fn queue_page(
        &self,
        tab: QueueTab,
        me: Option<i64>,
        now: DateTime<Utc>,
        offset: u64,
        limit: u32,
    ) -> CoreResult<Vec<QueueItem>> {
        self.read(|conn| {
            let params = Self::queue_params(conn, me, now, offset, u64::from(limit))?;
            Self::page_in(conn, tab, &params)
        })
    }

    /// How many rows a queue tab has at `now`.
    pub fn queue_count(&self, tab: QueueTab, me: Option<i64>, now: DateTime<Utc>) -> CoreResult<u64> {
        self.read(|conn| {
            let params = Self::queue_params(conn, me, now, 0, 0)?;
            Self::count_in(conn, tab, &params)
        })
    }

    /// Hands a whole queue tab (or its first `limit` rows) to `each`, `page_size` rows at a time,
    /// from one consistent snapshot of the cache (a sync writing meanwhile cannot make a row
    /// appear twice or not at all); returns how many rows the tab has in all.
    #[allow(clippy::too_many_arguments)]
    pub fn queue_pages(
        &self,
        tab: QueueTab,
        me: Option<i64>,
        tag: Option<&str>,
        now: DateTime<Utc>,
        page_size: u32,
        limit: Option<u64>,
        mut each: impl FnMut(Vec<QueueItem>) -> CoreResult<()>,
    ) -> CoreResult<u64> {
        let page_size = u64::from(page_size.max(1));
        self.read(|conn| {
            // Dropped without commit: a read transaction has nothing to keep.
            let snapshot = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Deferred)?;
            let mut params = Self::queue_params(&snapshot, me, now, 0, 0)?;
            params.tag = tag.map(str::to_string);
            let total = Self::count_in(&snapshot, tab, &params)?;
            let wanted = limit.map_or(total, |limit| limit.min(total));
            while (params.offset as u64) < wanted {
                params.limit = page_size.min(wanted - params.offset as u64) as i64;
                let page = Self::page_in(&snapshot, tab, &params)?;
                let got = page.len() as i64;
                each(page)?;
                if got < params.limit {
                    break;
                }
                params.offset += got;
            }
            Ok(total)
        })
    }

    pub(super) fn queue_params(
        conn: &Connection,
        me: Option<i64>,
        now: DateTime<Utc>,
        offset: u64,
        limit: u64,
    ) -> CoreResult<QueueParams> {
        let targets: ServiceTargets = Self::get_key(conn, "settings", SERVICE_TARGETS_SETTING)?.unwrap_or_default();
        Ok(QueueParams {
            // No agent has id -1: without a sign-in, nothing is mine.
            me: me.unwrap_or(-1),
            now_ms: now.timestamp_millis(),
            target_minutes: i64::from(targets.first_response_minutes),
            offset: i64::try_from(offset).unwrap_or(i64::MAX),
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
            tag: None,
        })
    }

    fn page_in(conn: &Connection, tab: QueueTab, params: &QueueParams) -> CoreResult<Vec<QueueItem>> {
        let (filter, order) = tab_sql(tab);
        let sql = format!(
            "SELECT {} {FROM} WHERE {filter} AND {TAGGED} ORDER BY {order} LIMIT :limit OFFSET :offset",
            columns()
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        params.bind(&mut stmt)?;
        let mut rows = stmt.raw_query();
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            items.push(queue_item_from_row(row)?);
        }
        Ok(items)
    }

    fn count_in(conn: &Connection, tab: QueueTab, params: &QueueParams) -> CoreResult<u64> {
        let (filter, _) = tab_sql(tab);
        let mut stmt = conn.prepare_cached(&format!("SELECT count(*) {FROM} WHERE {filter} AND {TAGGED}"))?;
        params.bind(&mut stmt)?;
        let mut rows = stmt.raw_query();
        let count: i64 = match rows.next()? {
            Some(row) => row.get(0)?,
            None => 0,
        };
        Ok(count.max(0) as u64)
    }

    /// Unread messages of my conversations and of everything I can act on, in one query.
    pub fn unread_summary(&self, me: Option<i64>, now: DateTime<Utc>) -> CoreResult<UnreadSummary> {
        self.read(|conn| {
            let params = Self::queue_params(conn, me, now, 0, 0)?;
            let sql = format!(
                "SELECT coalesce(sum(CASE WHEN mine THEN unread END), 0), coalesce(sum(mine AND unread > 0), 0), \
                 coalesce(sum(unread), 0) FROM (SELECT max(c.last_message_seq - c.read_seq, 0) AS unread, \
                 c.status = 'assigned' AS mine {FROM} \
                 WHERE c.status = 'waiting' OR (c.status = 'assigned' AND c.assignee_id = :me AND NOT {SNOOZED}))"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            params.bind(&mut stmt)?;
            let mut rows = stmt.raw_query();
            let Some(row) = rows.next()? else { return Ok(UnreadSummary::default()) };
            Ok(UnreadSummary { mine_unread: row.get(0)?, mine_conversations_unread: row.get(1)?, total: row.get(2)? })
        })
    }
}
