-- Each official source's health as the last sync left it: the SQLite store's migration 0011,
-- in PostgreSQL's terms (the key ordered by code point, as every key of 0001).
CREATE TABLE source_health (
    source             TEXT COLLATE "C" PRIMARY KEY,
    last_attempt       TEXT,
    last_success       TEXT,
    last_error         TEXT,
    requests           BIGINT NOT NULL,
    bytes              BIGINT NOT NULL,
    records_seen       BIGINT NOT NULL,
    records_new        BIGINT NOT NULL,
    records_updated    BIGINT NOT NULL,
    records_unchanged  BIGINT NOT NULL,
    records_withdrawn  BIGINT NOT NULL,
    took_ms            BIGINT NOT NULL,
    warnings           TEXT NOT NULL
);
