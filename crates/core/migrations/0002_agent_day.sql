-- Handoff Desk local cache, version 2: an agent's day on this device. Released migrations are
-- never edited: add a new file. Times are unix milliseconds (UTC).

-- Conversations the agent snoozed on this device. Local only: the service never learns of a
-- snooze, so a colleague still sees the conversation as assigned.
CREATE TABLE snoozes (
    conversation_id INTEGER PRIMARY KEY,
    -- Who snoozed it: a snooze ends by itself when the conversation stops being theirs.
    agent_id        INTEGER NOT NULL,
    until_ms        INTEGER NOT NULL,
    snoozed_at_ms   INTEGER NOT NULL,
    -- The conversation's newest message when snoozed: a customer line after it wakes it early
    -- (sequence numbers, not times, so clock skew with the service cannot wake it by mistake).
    snoozed_seq     INTEGER NOT NULL,
    -- 1 once the wake-up was handed out for a notification (Engine::take_due_snoozes).
    notified        INTEGER NOT NULL DEFAULT 0
);

-- First-response deadlines already notified on this device, so a restart does not notify
-- again; a re-escalation (new escalated_at) is a new deadline.
CREATE TABLE overdue_notices (
    conversation_id INTEGER NOT NULL,
    escalated_at_ms INTEGER NOT NULL,
    notified_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, escalated_at_ms)
) WITHOUT ROWID;

-- The first public agent line after a handoff: the SLA columns of the queue look it up per row.
CREATE INDEX messages_agent_replies ON messages(conversation_id, created_at_ms)
    WHERE role = 'agent' AND private = 0;
