-- Handoff service schema, version 1. Released migrations are never edited: add a new file.
-- Times are unix milliseconds (UTC).

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    presence      TEXT NOT NULL DEFAULT 'offline',
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);

-- Bearer tokens are stored as SHA-256 hex digests only.
CREATE TABLE agent_tokens (
    token_hash    TEXT PRIMARY KEY,
    agent_id      INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE conversations (
    id                     INTEGER PRIMARY KEY,
    external_id            TEXT NOT NULL UNIQUE,
    channel                TEXT NOT NULL,
    status                 TEXT NOT NULL,
    assignee_id            INTEGER REFERENCES agents(id),
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
    version                INTEGER NOT NULL,
    created_at_ms          INTEGER NOT NULL,
    updated_at_ms          INTEGER NOT NULL,
    last_message_seq       INTEGER NOT NULL DEFAULT 0,
    assigned_at_ms         INTEGER,
    wait_notice_at_ms      INTEGER
);
CREATE INDEX conversations_status ON conversations(status, id);
CREATE INDEX conversations_waiting_since ON conversations(status, escalated_at_ms);

CREATE TABLE messages (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    role            TEXT NOT NULL,
    author          TEXT NOT NULL,
    text            TEXT NOT NULL,
    private         INTEGER NOT NULL DEFAULT 0,
    client_id       TEXT,
    agent_id        INTEGER REFERENCES agents(id),
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
-- The idempotency key of an agent message: one message per agent and key, ever.
CREATE UNIQUE INDEX messages_idempotency ON messages(agent_id, client_id)
    WHERE client_id IS NOT NULL;

-- The global change feed: each record is the JSON the API serves, cursor included.
CREATE TABLE changes (
    cursor INTEGER PRIMARY KEY,
    record TEXT NOT NULL
);

-- How long each claim waited, for the queue's wait estimate.
CREATE TABLE claims (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    agent_id        INTEGER NOT NULL REFERENCES agents(id),
    waited_ms       INTEGER NOT NULL,
    claimed_at_ms   INTEGER NOT NULL
);
CREATE INDEX claims_recent ON claims(claimed_at_ms);

-- Outbound webhook deliveries, written in the same transaction as the message they carry.
CREATE TABLE webhook_deliveries (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    conversation_id    INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    payload            TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    delivered_at_ms    INTEGER,
    failed_at_ms       INTEGER,
    last_error         TEXT,
    created_at_ms      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries(conversation_id, seq)
    WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
