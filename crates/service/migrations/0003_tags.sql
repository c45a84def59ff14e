-- Handoff service schema, version 3: the team's tag catalogue and each conversation's tags.
-- Admins manage the catalogue (`handoff-service tags`); agents tag conversations with names from
-- it (`PUT /v1/conversations/{id}/tags`). Removing a tag from the catalogue takes it off every
-- conversation, so the foreign key cascades.

CREATE TABLE tags (
    name          TEXT PRIMARY KEY,
    color         TEXT,
    created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE conversation_tags (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tag             TEXT NOT NULL REFERENCES tags(name) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, tag)
) WITHOUT ROWID;
CREATE INDEX conversation_tags_tag ON conversation_tags(tag);
