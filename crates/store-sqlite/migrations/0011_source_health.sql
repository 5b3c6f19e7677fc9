-- Each official source's health as the last sync left it (`Store::save_source_health`): what
-- `/sources`, `/api/sources` and `lobbyscope status` show. One row per source a sync ever
-- attempted, keyed by its code (`tr`, `ec`, `ep`, `hys`: `SourceId::code`), replaced whole by
-- each attempt; a source never synced has no row. Times are RFC 3339 text, as `imported_at` is.
-- The figures are the last successful run's; `last_error` says why the last attempt failed
-- (NULL when it succeeded). `warnings` is a JSON array of strings. Copied by `copy-store`.
CREATE TABLE source_health (
    source             TEXT PRIMARY KEY,
    last_attempt       TEXT,
    last_success       TEXT,
    last_error         TEXT,
    requests           INTEGER NOT NULL,
    bytes              INTEGER NOT NULL,
    records_seen       INTEGER NOT NULL,
    records_new        INTEGER NOT NULL,
    records_updated    INTEGER NOT NULL,
    records_unchanged  INTEGER NOT NULL,
    records_withdrawn  INTEGER NOT NULL,
    took_ms            INTEGER NOT NULL,
    warnings           TEXT NOT NULL
) WITHOUT ROWID;
