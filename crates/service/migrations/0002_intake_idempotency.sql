-- Handoff service schema, version 2: intake idempotency on the platform's message id.
-- A bot platform may name each customer or bot line with its own id (`message_id`); the same
-- id in the same conversation is stored once, whether it comes in an intake message or in the
-- transcript of a (re-)escalation.

CREATE TABLE intake_message_ids (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, message_id)
) WITHOUT ROWID;
