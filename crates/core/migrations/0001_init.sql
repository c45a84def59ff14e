-- Handoff Desk local cache, version 1. Released migrations are never edited: add a new file.
-- Times are unix milliseconds (UTC).

-- Conversations as last seen from the service.
CREATE TABLE conversations (
    id                     INTEGER PRIMARY KEY,
    external_id            TEXT NOT NULL,
    channel                TEXT NOT NULL,
    status                 TEXT NOT NULL,
    assignee_id            INTEGER,
    assignee_name          TEXT,
    customer_id            TEXT NOT NULL,
    customer_name          TEXT NOT NULL,
    customer_email         TEXT,
    customer_phone         TEXT,
    customer_vip           INTEGER NOT NULL DEFAULT 0,
    customer_account_value INTEGER,
    handoff_reason         TEXT,
    handoff_trigger        TEXT,
    escalated_at_ms        INTEGER,
    summary                TEXT,
    topic                  TEXT,
    priority               TEXT NOT NULL,
    priority_rank          INTEGER NOT NULL,
    version                INTEGER NOT NULL,
    created_at_ms          INTEGER NOT NULL,
    updated_at_ms          INTEGER NOT NULL,
    last_message_seq       INTEGER NOT NULL,
    -- The newest seq this device has shown to the agent (unread marks).
    read_seq               INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversations_queue ON conversations(status, priority_rank, escalated_at_ms);
CREATE INDEX conversations_assignee ON conversations(assignee_id, status);
CREATE INDEX conversations_customer ON conversations(customer_id);
CREATE INDEX conversations_updated ON conversations(status, updated_at_ms);

-- Clustered by conversation, so a transcript is one contiguous range scan.
CREATE TABLE messages (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    -- The full-text index's row id: conversation_id * 2^20 + seq.
    fts_id          INTEGER NOT NULL UNIQUE,
    role            TEXT NOT NULL,
    author          TEXT NOT NULL,
    text            TEXT NOT NULL,
    private         INTEGER NOT NULL DEFAULT 0,
    client_id       TEXT,
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
CREATE INDEX messages_client_id ON messages(client_id) WHERE client_id IS NOT NULL;

-- Full-text index over message text; diacritics-insensitive.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text,
    content = 'messages',
    content_rowid = 'fts_id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, text) VALUES (new.fts_id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.fts_id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.fts_id, old.text);
    INSERT INTO messages_fts(rowid, text) VALUES (new.fts_id, new.text);
END;

-- Replies and notes written on this device and not yet acknowledged by the service.
-- No foreign key: neither a purge nor a resync may ever drop an unsent word.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    client_id       TEXT NOT NULL UNIQUE,
    conversation_id INTEGER NOT NULL,
    text            TEXT NOT NULL,
    private         INTEGER NOT NULL,
    author          TEXT NOT NULL,
    state           TEXT NOT NULL,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at_ms   INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL
);
CREATE INDEX outbox_conversation ON outbox(conversation_id, id);

CREATE TABLE agents (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    presence TEXT NOT NULL
);

-- Escalations already announced on this device, so none is announced twice.
CREATE TABLE announcements (
    conversation_id INTEGER NOT NULL,
    escalated_at_ms INTEGER NOT NULL,
    announced_at_ms INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, escalated_at_ms)
) WITHOUT ROWID;

-- Sync bookkeeping: cursor, last sync time, queue stats as last seen.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- User settings (JSON values).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
