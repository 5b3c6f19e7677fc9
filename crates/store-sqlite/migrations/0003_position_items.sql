-- Position items (lobbyscope_store::positions). An item's id is its cache key: a hash of the
-- organisation, the group, every source's content hash, the writer, its model and its prompt
-- version. `shown` marks, per organisation and group, the newest written item with a kept
-- sentence; the store keeps it true on every save.
CREATE TABLE position_items (
    id                 TEXT PRIMARY KEY,
    org_key            TEXT NOT NULL,
    grp                TEXT NOT NULL,
    writer             TEXT NOT NULL,
    model              TEXT,
    prompt_version     TEXT NOT NULL,
    status             TEXT NOT NULL,      -- 'written' | 'empty' | 'pending'
    error              TEXT,
    headline           TEXT,
    date               TEXT,
    written_at         TEXT NOT NULL,
    prompt_tokens      INTEGER,
    completion_tokens  INTEGER,
    sources            TEXT NOT NULL,      -- JSON array of source ids
    shown              INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX position_items_by_org ON position_items (org_key, grp);

-- Every sentence a writer proposed, kept or dropped, with the checker's verdict.
CREATE TABLE position_sentences (
    item_id   TEXT NOT NULL REFERENCES position_items (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    part      TEXT NOT NULL,               -- 'message' | 'why' | 'impact'
    text      TEXT NOT NULL,
    kept      INTEGER NOT NULL,
    reason    TEXT,
    score     REAL NOT NULL,
    PRIMARY KEY (item_id, position)
) WITHOUT ROWID;

-- Spans in code points of the source's text; `quote` is exactly that span.
CREATE TABLE position_citations (
    item_id     TEXT NOT NULL,
    sentence    INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    source      TEXT NOT NULL,
    span_start  INTEGER NOT NULL,
    span_end    INTEGER NOT NULL,
    quote       TEXT NOT NULL,
    PRIMARY KEY (item_id, sentence, position),
    FOREIGN KEY (item_id, sentence) REFERENCES position_sentences (item_id, position) ON DELETE CASCADE
) WITHOUT ROWID;

-- Text extracted from responses' attachments, so that citations into it stay checkable
-- without the files.
CREATE TABLE source_texts (
    id            TEXT PRIMARY KEY,        -- 'attachment:<response>:<document>'
    response_id   INTEGER NOT NULL,
    file          TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    extractor     TEXT NOT NULL,
    text          TEXT NOT NULL,
    extracted_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX source_texts_by_response ON source_texts (response_id);
