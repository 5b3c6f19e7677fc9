-- Tables keyed by text use WITHOUT ROWID: one b-tree per table instead of a rowid table plus a
-- unique index, which halves the work of bulk imports.
--
-- Every record keeps its provenance: source kind, file, locator (JSON), first import time and
-- content hash. Dates are ISO 8601 text so that they sort and compare as text.

CREATE TABLE import_files (
    sha256       TEXT PRIMARY KEY,
    file         TEXT NOT NULL,
    source       TEXT NOT NULL,
    imported_at  TEXT NOT NULL
);

CREATE TABLE register_entries (
    register_id              TEXT NOT NULL,
    snapshot_date            TEXT NOT NULL,
    name                     TEXT NOT NULL,
    acronym                  TEXT,
    entity_form              TEXT,
    category                 TEXT,
    head_office_country      TEXT,
    head_office_city         TEXT,
    website                  TEXT,
    goals                    TEXT,
    levels_of_interest       TEXT NOT NULL,  -- JSON array
    fields_of_interest       TEXT NOT NULL,  -- JSON array
    eu_legislative_proposals TEXT,
    members                  INTEGER,
    fte                      REAL,
    ep_accredited            INTEGER,
    costs_min                INTEGER,
    costs_max                INTEGER,
    costs_amount             INTEGER,
    financial_year_start     TEXT,
    financial_year_end       TEXT,
    registration_date        TEXT,
    last_update_date         TEXT,
    source                   TEXT NOT NULL,
    file                     TEXT NOT NULL,
    locator                  TEXT NOT NULL,
    imported_at              TEXT NOT NULL,
    content_hash             TEXT NOT NULL,
    PRIMARY KEY (register_id, snapshot_date)
) WITHOUT ROWID;

CREATE TABLE people (
    key    TEXT PRIMARY KEY,          -- 'mep:<EP id>' or 'ec:<folded name>'
    kind   TEXT NOT NULL,             -- 'mep' | 'commission'
    name   TEXT NOT NULL,
    ep_id  INTEGER
) WITHOUT ROWID;

CREATE TABLE meetings (
    id             TEXT PRIMARY KEY,  -- Meeting::identity(): derived from content, the sources give none
    institution    TEXT NOT NULL,
    date           TEXT NOT NULL,
    cabinet        TEXT,
    dg             TEXT,
    dg_acronym     TEXT,
    portfolio      TEXT,
    location       TEXT,
    subject        TEXT NOT NULL,
    attendees_raw  TEXT NOT NULL,
    source         TEXT NOT NULL,
    file           TEXT NOT NULL,
    locator        TEXT NOT NULL,
    imported_at    TEXT NOT NULL,
    content_hash   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX meetings_by_date ON meetings (date);

CREATE TABLE meeting_hosts (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    person_key  TEXT NOT NULL REFERENCES people (key),
    name        TEXT NOT NULL,
    role        TEXT,
    PRIMARY KEY (meeting_id, position)
) WITHOUT ROWID;
CREATE INDEX meeting_hosts_by_person ON meeting_hosts (person_key);

CREATE TABLE meeting_procedures (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    reference   TEXT NOT NULL,
    PRIMARY KEY (meeting_id, reference)
) WITHOUT ROWID;
CREATE INDEX meeting_procedures_by_reference ON meeting_procedures (reference);

CREATE TABLE meeting_attendees (
    meeting_id   TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT,
    register_id  TEXT,
    org_key      TEXT,      -- set by the linker
    link_method  TEXT,      -- how the linker chose org_key
    PRIMARY KEY (meeting_id, position)
) WITHOUT ROWID;
CREATE INDEX meeting_attendees_by_org ON meeting_attendees (org_key);

CREATE TABLE initiatives (
    id                         INTEGER PRIMARY KEY,
    reference                  TEXT,
    short_title                TEXT NOT NULL,
    dg                         TEXT,
    unit                       TEXT,
    status                     TEXT,
    foreseen_act_type          TEXT,
    stage                      TEXT,
    receiving_feedback_status  TEXT,
    topics                     TEXT NOT NULL,  -- JSON array
    published_date             TEXT,
    modified_date              TEXT,
    source                     TEXT NOT NULL,
    file                       TEXT NOT NULL,
    locator                    TEXT NOT NULL,
    imported_at                TEXT NOT NULL,
    content_hash               TEXT NOT NULL
);

CREATE TABLE publications (
    id              INTEGER PRIMARY KEY,
    initiative_id   INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    kind            TEXT,
    reference       TEXT,
    total_feedback  INTEGER,
    adoption_date   TEXT,
    attachments     TEXT NOT NULL   -- JSON array of documents
);
CREATE INDEX publications_by_initiative ON publications (initiative_id);

CREATE TABLE feedback (
    id                    INTEGER PRIMARY KEY,
    publication_id        INTEGER,   -- no foreign key: pages may arrive before their initiative
    reference_initiative  TEXT,
    date                  TEXT,
    language              TEXT,
    user_type             TEXT,
    country               TEXT,
    company_size          TEXT,
    organization          TEXT,
    first_name            TEXT,
    surname               TEXT,
    register_id           TEXT,
    text                  TEXT NOT NULL,
    attachments           TEXT NOT NULL,  -- JSON array of documents
    org_key               TEXT,
    link_method           TEXT,
    source                TEXT NOT NULL,
    file                  TEXT NOT NULL,
    locator               TEXT NOT NULL,
    imported_at           TEXT NOT NULL,
    content_hash          TEXT NOT NULL
);
CREATE INDEX feedback_by_publication ON feedback (publication_id);
CREATE INDEX feedback_by_org ON feedback (org_key);

CREATE TABLE organisations (
    key          TEXT PRIMARY KEY,   -- register ID, or 'n:' and the folded name
    register_id  TEXT UNIQUE,
    name         TEXT NOT NULL,
    acronym      TEXT
) WITHOUT ROWID;
