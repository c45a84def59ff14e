-- Handoff Desk local cache: the review's sentence vectors. Released migrations are never
-- edited: add a new file.

-- One vector per handoff: the embedding of its question (the text the review groups), made by
-- `model` in the background after the handoff landed. A vector of another model, or of a
-- question that has changed since, is stale and made again.
CREATE TABLE question_vectors (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    model           TEXT NOT NULL,
    question        TEXT NOT NULL,
    -- Little-endian f32s, L2-normalised.
    vector          BLOB NOT NULL
);
