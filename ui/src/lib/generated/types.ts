// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit:
// run `UPDATE_BINDINGS=1 cargo test -p handoff-desk bindings` instead.

export type ConversationStatus = "bot" | "waiting" | "assigned" | "resolved";

export type HandoffReason = "sentiment" | "explicit_request" | "workflow" | "vip" | "other";

export type Priority = "urgent" | "high" | "normal" | "low";

export type Role = "customer" | "bot" | "agent" | "system";

export type Presence = "available" | "away" | "offline";

export type Customer = { 
/**
 * The bot platform's id for the customer; not blank, at most 1000 characters.
 */
id: string, 
/**
 * Not blank, at most 1000 characters.
 */
name: string, email: string | null, phone: string | null, vip: boolean, 
/**
 * Yearly account value in whole US dollars, when the platform knows it.
 */
account_value: number | null, };

export type Handoff = { reason: HandoffReason, 
/**
 * What fired: the phrase, the workflow name, the sentiment score.
 */
trigger: string, escalated_at: string, 
/**
 * The bot's one-line summary of the conversation so far.
 */
summary: string | null, 
/**
 * What the customer is asking about.
 */
topic: string | null, };

export type AgentRef = { id: number, name: string, };

export type Conversation = { id: number, 
/**
 * The bot platform's id of the conversation.
 */
external_id: string, 
/**
 * Where the chat takes place: `web`, `whatsapp`, `email`, …
 */
channel: string, status: ConversationStatus, assignee: AgentRef | null, customer: Customer, 
/**
 * Absent while the conversation was never handed off.
 */
handoff: Handoff | null, priority: Priority, 
/**
 * Bumped on every change of the conversation or its messages.
 */
version: number, created_at: string, updated_at: string, 
/**
 * The seq of the newest message, 0 when there is none.
 */
last_message_seq: number, 
/**
 * Names from the team's tag catalogue (`GET /v1/tags`), sorted. Absent in records written
 * before tags existed, hence the default.
 */
tags: Array<string>, };

export type Message = { conversation_id: number, 
/**
 * Dense per conversation, from 1.
 */
seq: number, role: Role, 
/**
 * Display name of the author.
 */
author: string, 
/**
 * Plain, untrusted text, returned byte for byte as received.
 */
text: string, 
/**
 * An internal note, never shown to the customer.
 */
private: boolean, 
/**
 * The idempotency key an agent message was sent with.
 */
client_id: string | null, created_at: string, };

export type Agent = { id: number, name: string, presence: Presence, };

export type QueueStats = { 
/**
 * Conversations waiting for a human.
 */
waiting: number, 
/**
 * Agents whose presence is `available`.
 */
available_agents: number, 
/**
 * Expected wait for a new handoff, from recent claim times; null when no agent is available.
 */
estimated_wait_seconds: number | null, 
/**
 * How long the longest-waiting conversation has waited.
 */
longest_wait_seconds: number | null, };

export type ResolveOutcome = "solved" | "back_to_bot";

export type Tag = { 
/**
 * 1 to 40 characters: lower-case ASCII letters, digits, `-` and `_`, starting with a letter
 * or digit.
 */
name: string, 
/**
 * `#rrggbb`, or null for the front end's default.
 */
color: string | null, };

export type Activity = "viewing" | "typing_reply" | "typing_note" | "left";

export type ConversationActivity = { conversation_id: number, agent: AgentRef, activity: Activity, 
/**
 * When the entry lapses unless the agent posts again; for `left`, the moment it ended.
 */
expires_at: string, };

export type QueueTab = "waiting" | "mine" | "recent" | "snoozed";

export type QueueItem = { id: number, status: ConversationStatus, channel: string, customer_name: string, vip: boolean, reason: HandoffReason | null, trigger: string | null, topic: string | null, priority: Priority, escalated_at: string | null, updated_at: string, assignee: AgentRef | null, 
/**
 * The newest line the customer wrote.
 */
last_customer_text: string | null, 
/**
 * Messages the agent has not seen on this device.
 */
unread: number, 
/**
 * The conversation's tags, sorted.
 */
tags: Array<string>, 
/**
 * When the first-response target runs out: set while no agent has answered since the
 * handoff (waiting or assigned), None once answered or with the target off. Colour it with
 * `ServiceTargets::level`.
 */
first_response_due_at: string | null, 
/**
 * Until when the conversation is snoozed on this device (only in the Snoozed tab).
 */
snoozed_until: string | null, 
/**
 * Back from a snooze (its time came, or the customer wrote) and not opened since.
 */
woke_from_snooze: boolean, };

export type DeliveryState = "sent" | "pending" | "failed";

export type TranscriptLine = { 
/**
 * None while the message is not acknowledged by the service.
 */
seq: number | null, role: Role, author: string, text: string, private: boolean, created_at: string, state: DeliveryState, client_id: string | null, 
/**
 * Why the service refused a failed message.
 */
error: string | null, };

export type ConversationView = { conversation: Conversation, messages: Array<TranscriptLine>, };

export type SnippetPart = { text: string, highlight: boolean, };

export type SearchHit = { conversation_id: number, seq: number, customer_name: string, role: Role, created_at: string, snippet: Array<SnippetPart>, };

export type OutboxItem = { client_id: string, conversation_id: number, text: string, private: boolean, state: DeliveryState, error: string | null, attempts: number, created_at: string, };

export type ConnectionState = { "state": "online" } | { "state": "connecting", attempt: number, } | { "state": "offline", since: string, error: string, retry_at: string | null, } | { "state": "refused", since: string, error: string, };

export type SyncStatus = { connection: ConnectionState, last_synced_at: string | null, cursor: number, };

export type CoreEvent = { "type": "new_escalation", conversation: Conversation, last_customer_text: string | null, } | { "type": "escalation_backlog", count: number, conversation_ids: Array<number>, } | { "type": "conversation_changed", conversation: Conversation, } | { "type": "customer_wrote", conversation: Conversation, message: Message, } | { "type": "customer_backlog", count: number, conversation_ids: Array<number>, } | { "type": "message_added", message: Message, } | { "type": "connection_changed", status: SyncStatus, } | { "type": "outbox_changed", item: OutboxItem, } | { "type": "queue_stats_changed", stats: QueueStats, } | { "type": "agents_changed", agents: Array<Agent>, } | { "type": "conversation_activity", conversation_id: number, agent: AgentRef, activity: Activity, expires_at: string, } | { "type": "tags_changed", tags: Array<Tag>, };

export type NotificationPrefs = { enabled: boolean, 
/**
 * Only VIP customers and urgent handoffs.
 */
vip_and_urgent_only: boolean, 
/**
 * A sound with each notification; off unless the agent turns it on.
 */
sound: boolean, 
/**
 * A notification when the customer writes again in a conversation assigned to me.
 */
customer_messages: boolean, 
/**
 * Do-not-disturb hours, local time, `"HH:MM"`; the range may wrap midnight.
 */
quiet_from: string | null, quiet_until: string | null, };

export type FactKind = "order_number" | "email" | "phone" | "amount" | "plan";

export type KeyFact = { kind: FactKind, value: string, };

export type EarlierConversation = { id: number, status: ConversationStatus, topic: string | null, summary: string | null, escalated_at: string | null, };

export type HandoffContext = { conversation_id: number, reason: HandoffReason | null, trigger: string | null, 
/**
 * The bot's summary, or one computed from the customer's messages.
 */
summary: string | null, 
/**
 * Whether `summary` was computed here because the service sent none.
 */
summary_is_local: boolean, topic: string | null, facts: Array<KeyFact>, 
/**
 * How long the customer waited (until claimed, or until now).
 */
waited_seconds: number | null, earlier: Array<EarlierConversation>, 
/**
 * The greeting for the composer, from the team's template.
 */
greeting: string, };

export type CannedResponse = { 
/**
 * Stable id; empty when saving a new one.
 */
id: string, 
/**
 * What the `/` picker shows and matches.
 */
title: string, text: string, };

export type ReasonCount = { reason: HandoffReason, count: number, };

export type DayCount = { 
/**
 * YYYY-MM-DD (local to the report's offset).
 */
date: string, count: number, };

export type GroupExample = { conversation_id: number, customer_name: string, question: string, };

export type QuestionGroup = { label: string, size: number, 
/**
 * `size` over the period's handoffs, 0..=1.
 */
share: number, 
/**
 * Ascending.
 */
conversation_ids: Array<number>, 
/**
 * Up to three, the most typical first.
 */
examples: Array<GroupExample>, 
/**
 * `share >= flag_share` (and more than one handoff).
 */
flagged: boolean, 
/**
 * For flagged groups: what to do about it.
 */
suggestion: string | null, 
/**
 * For flagged groups: a draft addition to the bot's system prompt quoting the customers'
 * questions of the group (their lines used for grouping; never agent or bot lines), for
 * the team to complete with the answer.
 */
prompt_draft: string | null, };

export type GroupingMethod = "meaning" | "words";

export type ReviewGrouping = { method: GroupingMethod, 
/**
 * The language model, when grouped by meaning.
 */
model: string | null, 
/**
 * Why the groups are by words, in words for the team (absent when by meaning).
 */
note: string | null, };

export type ReviewReport = { period_start: string, period_end: string, total_handoffs: number, 
/**
 * Most frequent first; reasons that never occurred are left out.
 */
by_reason: Array<ReasonCount>, 
/**
 * Every day of the period, oldest first (only the days with handoffs for periods over
 * 400 days).
 */
by_day: Array<DayCount>, 
/**
 * 24 counts, hour 0 to 23 (local to the report's offset).
 */
by_hour: Array<number>, 
/**
 * The offset from UTC of days and hours.
 */
utc_offset_minutes: number, 
/**
 * Groups with at least this share were flagged.
 */
flag_share: number, 
/**
 * Median of escalation → first public agent message after it.
 */
median_wait_seconds: number | null, 
/**
 * Median, over resolved conversations, of first public agent message → last message.
 */
median_handle_seconds: number | null, 
/**
 * Largest first.
 */
groups: Array<QuestionGroup>, 
/**
 * How the groups were formed.
 */
grouping: ReviewGrouping, };

export type ReviewPrefs = { 
/**
 * A group of questions at or above this percentage of the period's handoffs is flagged.
 */
flag_percent: number, reminder_enabled: boolean, 
/**
 * Day of the reminder, 0 = Monday … 6 = Sunday.
 */
reminder_weekday: number, 
/**
 * Local time of the reminder, "HH:MM".
 */
reminder_time: string, };

export type WaitThresholds = { warn_minutes: number, urgent_minutes: number, };

export type ServiceTargets = { 
/**
 * Minutes from the handoff to the first agent reply; 0 turns the target off.
 */
first_response_minutes: number, 
/**
 * The deadline turns amber when less than this percentage of the target remains, and red
 * once it has passed.
 */
amber_percent: number, };

export type UnreadSummary = { 
/**
 * Unread messages over the conversations assigned to me (snoozed ones left out).
 */
mine_unread: number, 
/**
 * How many of those conversations have unread messages.
 */
mine_conversations_unread: number, 
/**
 * Unread messages over every open conversation I can act on: waiting ones and mine (not
 * snoozed).
 */
total: number, };

export type LinkSegment = { "kind": "text", text: string, } | { "kind": "link", text: string, href: string, };

export type NavigateTarget = { "view": "queue" } | { "view": "conversation", id: number, } | { "view": "review" };

export type DeskEvent = { "kind": "core", event: CoreEvent, } | { "kind": "navigate", target: NavigateTarget, } | { "kind": "session_changed" } | { "kind": "queue_changed" };

export type ReviewPeriod = { since: string, until: string, };

export type ExportFormat = "markdown" | "csv";

export type AppInfo = { version: string, 
/**
 * Running against the embedded demo service.
 */
demo: boolean, server: string | null, me: AgentRef | null, data_dir: string, 
/**
 * Where the app writes its log (a file a day, kept a week).
 */
log_dir: string | null, 
/**
 * What opening the encrypted cache had to do that the agent should know (shown once).
 */
cache_notice: string | null, };

export type CommandError = { kind: string, message: string, 
/**
 * Who has the conversation, when a claim was lost.
 */
assignee: AgentRef | null, };

export type PermissionState = "granted" | "denied" | "not_determined" | "unavailable";

export type NotificationPermission = { state: PermissionState, 
/**
 * Which service shows them ("dunst 1.9.0", "Windows notifications", "macOS Notification Center").
 */
service: string, 
/**
 * How to turn them on, in the system's own words.
 */
advice: string | null, 
/**
 * The system's notification settings can be opened from the app.
 */
can_open_settings: boolean, };
