-- Handoff Desk local cache: tags. Released migrations are never edited: add a new file.
-- (Numbered 0003 on purpose: 0002 belongs to a change made alongside this one.)

-- Each conversation's tags as the service sent them: a JSON array of names, sorted.
ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

-- The team's tag catalogue as last fetched (GET /v1/tags), refreshed at every sync start.
CREATE TABLE tags (
    name  TEXT PRIMARY KEY,
    color TEXT
) WITHOUT ROWID;
