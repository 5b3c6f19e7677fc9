-- The PostgreSQL store: the same tables and columns as the SQLite store after its migration
-- 0010 (lobbyscope-store-sql reads rows of both alike), in PostgreSQL's terms:
-- - integers are BIGINT and fractions DOUBLE PRECISION, which read back as i64 and f64;
-- - keys, dates and names that pages order by are `COLLATE "C"`, so that they sort by code
--   point, as SQLite sorts them, whatever the database's locale;
-- - dates stay ISO 8601 text ('2022-06-30', '2022-06-30 10:00:00'), as in SQLite;
-- - what SQLite keeps with row triggers is kept by statement triggers over transition tables,
--   one statement per file's batch rather than one per row.
--
-- Every record keeps its provenance: source kind, file, locator (JSON), first import time and
-- content hash.

CREATE TABLE import_files (
    sha256       TEXT PRIMARY KEY,
    file         TEXT NOT NULL,
    source       TEXT NOT NULL,
    imported_at  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX import_files_by_time ON import_files (imported_at);

CREATE TABLE register_entries (
    register_id              TEXT COLLATE "C" NOT NULL,
    snapshot_date            TEXT COLLATE "C" NOT NULL,
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
    members                  BIGINT,
    fte                      DOUBLE PRECISION,
    ep_accredited            BIGINT,
    costs_min                BIGINT,
    costs_max                BIGINT,
    costs_amount             BIGINT,
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
);

CREATE TABLE people (
    key    TEXT COLLATE "C" PRIMARY KEY,  -- 'mep:<EP id>', 'mep-name:<folded name>' or 'ec:<folded name>'
    kind   TEXT NOT NULL,                 -- 'mep' | 'commission'
    name   TEXT NOT NULL,
    ep_id  BIGINT
);

-- The quarter a date falls in: '2022-Q2'; '' when there is no date.
CREATE FUNCTION quarter_of(date TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN date IS NULL THEN '' ELSE substr(date, 1, 4) || '-Q' || ((substr(date, 6, 2)::bigint + 2) / 3)::text END
$$;

CREATE TABLE meetings (
    id             TEXT COLLATE "C" PRIMARY KEY,  -- domain::MeetingId: `{natural key}-{ordinal}`
    natural_key    TEXT COLLATE "C" NOT NULL,
    ordinal        BIGINT NOT NULL,
    facets         TEXT NOT NULL,      -- digests of subject, attendees, hosts, location (domain::Facets)
    institution    TEXT NOT NULL,
    date           TEXT COLLATE "C" NOT NULL,
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
    content_hash   TEXT NOT NULL,
    quarter        TEXT GENERATED ALWAYS AS (quarter_of(date)) STORED
);
CREATE INDEX meetings_by_date ON meetings (date);
CREATE INDEX meetings_by_natural_key ON meetings (natural_key);

CREATE TABLE meeting_hosts (
    meeting_id  TEXT COLLATE "C" NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    person_key  TEXT COLLATE "C" NOT NULL REFERENCES people (key),
    name        TEXT NOT NULL,
    role        TEXT,
    PRIMARY KEY (meeting_id, position)
);
CREATE INDEX meeting_hosts_by_person ON meeting_hosts (person_key);

CREATE TABLE meeting_procedures (
    meeting_id  TEXT COLLATE "C" NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    reference   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (meeting_id, reference)
);
CREATE INDEX meeting_procedures_by_reference ON meeting_procedures (reference);

CREATE TABLE meeting_attendees (
    meeting_id   TEXT COLLATE "C" NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    name         TEXT,
    register_id  TEXT,
    org_key      TEXT COLLATE "C",   -- set by the linker
    link_method  TEXT,               -- how the linker chose org_key
    PRIMARY KEY (meeting_id, position)
);
CREATE INDEX meeting_attendees_by_org ON meeting_attendees (org_key);

-- Earlier versions of meetings that a later import corrected, numbered from 1 (the first
-- published); `replaced_*` names the import that replaced it.
CREATE TABLE meeting_history (
    meeting_id     TEXT COLLATE "C" NOT NULL,
    version        BIGINT NOT NULL,
    replaced_at    TEXT NOT NULL,
    replaced_by    TEXT NOT NULL,
    date           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    hosts          TEXT NOT NULL,      -- JSON array of {name, role}
    location       TEXT,
    attendees_raw  TEXT NOT NULL,
    source         TEXT NOT NULL,
    file           TEXT NOT NULL,
    locator        TEXT NOT NULL,
    imported_at    TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    PRIMARY KEY (meeting_id, version)
);

CREATE TABLE initiatives (
    id                         BIGINT PRIMARY KEY,
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
    id              BIGINT PRIMARY KEY,
    initiative_id   BIGINT NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    position        BIGINT NOT NULL,
    kind            TEXT,
    reference       TEXT,
    total_feedback  BIGINT,
    adoption_date   TEXT,
    attachments     TEXT NOT NULL   -- JSON array of documents
);
CREATE INDEX publications_by_initiative ON publications (initiative_id);

CREATE TABLE feedback (
    id                    BIGINT PRIMARY KEY,
    publication_id        BIGINT,   -- no foreign key: pages may arrive before their initiative
    reference_initiative  TEXT,
    date                  TEXT COLLATE "C",
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
    org_key               TEXT COLLATE "C",
    link_method           TEXT,
    source                TEXT NOT NULL,
    file                  TEXT NOT NULL,
    locator               TEXT NOT NULL,
    imported_at           TEXT NOT NULL,
    content_hash          TEXT NOT NULL,
    quarter               TEXT GENERATED ALWAYS AS (quarter_of(date)) STORED
);
CREATE INDEX feedback_by_org_date ON feedback (org_key, date DESC);
CREATE INDEX feedback_by_publication_date ON feedback (publication_id, date);
CREATE INDEX feedback_by_date ON feedback (date, id);

-- `sort_name` and `total` are what the list sorts by, stored so that its indexes cover it.
CREATE TABLE organisations (
    key          TEXT COLLATE "C" PRIMARY KEY,   -- register ID, or 'n:' and the folded name
    register_id  TEXT UNIQUE,
    name         TEXT COLLATE "C" NOT NULL,   -- compared when two files name one organisation
    acronym      TEXT,
    commission   BIGINT NOT NULL DEFAULT 0,
    parliament   BIGINT NOT NULL DEFAULT 0,
    responses    BIGINT NOT NULL DEFAULT 0,
    total        BIGINT GENERATED ALWAYS AS (commission + parliament + responses) STORED,
    sort_name    TEXT COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED
);
CREATE INDEX organisations_by_name ON organisations (sort_name, key);
CREATE INDEX organisations_by_activity ON organisations (total DESC, sort_name, key, commission, parliament, responses);
CREATE INDEX organisations_by_commission ON organisations (commission DESC, total DESC, sort_name, key) WHERE commission > 0;
CREATE INDEX organisations_by_parliament ON organisations (parliament DESC, total DESC, sort_name, key) WHERE parliament > 0;
CREATE INDEX organisations_by_responses ON organisations (responses DESC, total DESC, sort_name, key) WHERE responses > 0;

-- A number every committed change to the data increases, so that readers (every server's page
-- cache) can tell cheaply whether anything changed since they last looked.
CREATE TABLE data_generation (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    generation  BIGINT NOT NULL
);
INSERT INTO data_generation (id, generation) VALUES (1, 0);

-- Work a committed import still owes: relink = 1 when a committed file changed the register
-- and no full linking pass has run since.
CREATE TABLE pending_work (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    relink  BIGINT NOT NULL
);
INSERT INTO pending_work (id, relink) VALUES (1, 0);

-- Who holds the import lock (a session advisory lock), for the message of whoever waits.
CREATE TABLE import_lock_holder (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    holder  TEXT NOT NULL   -- JSON: lobbyscope_store::LockHolder
);

-- Position items (lobbyscope_store::positions); `shown` marks, per organisation and group, the
-- newest written item with a kept sentence.
CREATE TABLE position_items (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    org_key            TEXT COLLATE "C" NOT NULL,
    grp                TEXT COLLATE "C" NOT NULL,
    writer             TEXT NOT NULL,
    model              TEXT,
    prompt_version     TEXT NOT NULL,
    status             TEXT NOT NULL,      -- 'written' | 'empty' | 'pending'
    error              TEXT,
    headline           TEXT,
    date               TEXT COLLATE "C",
    written_at         TEXT COLLATE "C" NOT NULL,
    prompt_tokens      BIGINT,
    completion_tokens  BIGINT,
    sources            TEXT NOT NULL,      -- JSON array of source ids
    shown              BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX position_items_by_org ON position_items (org_key, grp);
CREATE INDEX position_items_shown ON position_items (org_key, date DESC, id) WHERE shown = 1;

CREATE TABLE position_sentences (
    item_id   TEXT COLLATE "C" NOT NULL REFERENCES position_items (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    part      TEXT NOT NULL,               -- 'message' | 'why' | 'impact'
    text      TEXT NOT NULL,
    kept      BOOLEAN NOT NULL,
    reason    TEXT,
    score     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (item_id, position)
);

-- Spans in code points of the source's text; `quote` is exactly that span.
CREATE TABLE position_citations (
    item_id     TEXT COLLATE "C" NOT NULL,
    sentence    BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    source      TEXT NOT NULL,
    span_start  BIGINT NOT NULL,
    span_end    BIGINT NOT NULL,
    quote       TEXT NOT NULL,
    PRIMARY KEY (item_id, sentence, position),
    FOREIGN KEY (item_id, sentence) REFERENCES position_sentences (item_id, position) ON DELETE CASCADE
);

-- Text extracted from responses' attachments, so that citations into it stay checkable.
CREATE TABLE source_texts (
    id            TEXT COLLATE "C" PRIMARY KEY,   -- 'attachment:<response>:<document>'
    response_id   BIGINT NOT NULL,
    file          TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    extractor     TEXT NOT NULL,
    text          TEXT NOT NULL,
    extracted_at  TEXT NOT NULL
);
CREATE INDEX source_texts_by_response ON source_texts (response_id);

-- The figures pages show, kept as the data changes (see the SQLite store's migration 0007):
-- triggers note changes in `agg_log`, and the store folds the notes into the tables below before
-- the transaction commits (store-postgres `stats::settle`).

-- Each meeting an organisation attended, once however many of its attendees were the
-- organisation, with what its timeline sorts and filters by.
CREATE TABLE org_meetings (
    org_key      TEXT COLLATE "C" NOT NULL,
    meeting_id   TEXT COLLATE "C" NOT NULL,
    date         TEXT COLLATE "C" NOT NULL,
    quarter      TEXT NOT NULL,
    institution  TEXT NOT NULL,
    PRIMARY KEY (org_key, meeting_id)
);
CREATE INDEX org_meetings_by_date ON org_meetings (org_key, date DESC, meeting_id, institution);

-- Activity per organisation and quarter. Rows may fall to zero; readers skip them.
CREATE TABLE org_quarters (
    org_key     TEXT COLLATE "C" NOT NULL,
    quarter     TEXT COLLATE "C" NOT NULL,
    commission  BIGINT NOT NULL DEFAULT 0,
    parliament  BIGINT NOT NULL DEFAULT 0,
    responses   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_key, quarter)
);

-- The names sources published for an organisation, with how many mentions carry each.
CREATE TABLE org_names (
    org_key   TEXT COLLATE "C" NOT NULL,
    name      TEXT COLLATE "C" NOT NULL,
    mentions  BIGINT NOT NULL,
    PRIMARY KEY (org_key, name)
);

-- Changes in the open transaction, to fold; empty between transactions. `delta` is the rows
-- added (positive) or removed (negative). Unlogged: a crash loses only what the fold would have
-- emptied anyway.
CREATE UNLOGGED TABLE agg_log (
    kind            TEXT NOT NULL,   -- 'r' response, 'a' attendee, 'm' meeting, 'o' organisation added, 'c' orphan candidate
    delta           BIGINT NOT NULL,
    org_key         TEXT COLLATE "C",
    name            TEXT COLLATE "C",
    quarter         TEXT COLLATE "C",
    meeting_id      TEXT COLLATE "C",
    institution     TEXT,
    publication_id  BIGINT,
    user_type       TEXT,
    country         TEXT
);
CREATE UNLOGGED TABLE agg_meetings (
    org_key      TEXT COLLATE "C" NOT NULL,
    meeting_id   TEXT COLLATE "C" NOT NULL,
    date         TEXT COLLATE "C" NOT NULL,
    quarter      TEXT NOT NULL,
    institution  TEXT NOT NULL,
    delta        BIGINT NOT NULL
);

-- Responses per publication, respondent type and country ('' where the source gave none).
CREATE TABLE publication_counts (
    publication_id  BIGINT NOT NULL,
    user_type       TEXT NOT NULL,
    country         TEXT NOT NULL,
    responses       BIGINT NOT NULL,
    PRIMARY KEY (publication_id, user_type, country)
);

-- Rows per kind of record, for the home page and `lobbyscope stats`.
CREATE TABLE record_counts (
    name  TEXT PRIMARY KEY,
    n     BIGINT NOT NULL
);
INSERT INTO record_counts (name, n) VALUES
    ('organisations', 0), ('registered_organisations', 0), ('register_entries', 0),
    ('commission_meetings', 0), ('parliament_meetings', 0), ('initiatives', 0), ('publications', 0),
    ('responses', 0), ('people', 0), ('imported_files', 0), ('positions_shown', 0),
    ('positions_written', 0), ('positions_empty', 0), ('positions_pending', 0),
    ('organisations_commission', 0), ('organisations_parliament', 0), ('organisations_responses', 0);

-- Register entries per snapshot date; a date with no entry left is removed.
CREATE TABLE register_snapshots (
    snapshot_date  TEXT COLLATE "C" PRIMARY KEY,
    entries        BIGINT NOT NULL
);

-- Each host of each meeting with what a person's page shows and filters by.
CREATE TABLE person_meetings (
    person_key   TEXT COLLATE "C" NOT NULL,
    meeting_id   TEXT COLLATE "C" NOT NULL,
    position     BIGINT NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    role         TEXT COLLATE "C",
    date         TEXT COLLATE "C" NOT NULL,
    institution  TEXT NOT NULL,
    cabinet      TEXT COLLATE "C",
    dg           TEXT COLLATE "C",
    portfolio    TEXT COLLATE "C",
    PRIMARY KEY (person_key, meeting_id, position)
);
CREATE INDEX person_meetings_by_date ON person_meetings (person_key, date DESC, meeting_id, institution);

-- The meetings citing each procedure with their dates.
CREATE TABLE procedure_meetings (
    reference    TEXT COLLATE "C" NOT NULL,
    meeting_id   TEXT COLLATE "C" NOT NULL,
    date         TEXT COLLATE "C" NOT NULL,
    institution  TEXT NOT NULL,
    PRIMARY KEY (reference, meeting_id)
);
CREATE INDEX procedure_meetings_by_date ON procedure_meetings (reference, date DESC, meeting_id, institution);

-- Indexes a bulk load stopped maintaining, with the statement that builds each again.
CREATE TABLE deferred_indexes (
    name  TEXT PRIMARY KEY,
    sql   TEXT NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Triggers. Each runs once per statement over the rows it changed (`changed`, or `old_rows` and
-- `new_rows` for updates).

-- Rows counted in record_counts under TG_ARGV[0].
CREATE FUNCTION count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE record_counts SET n = n + (CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END) * (SELECT count(*) FROM changed)
        WHERE name = TG_ARGV[0];
    RETURN NULL;
END $$;

CREATE TRIGGER import_file_added AFTER INSERT ON import_files REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION count_rows('imported_files');
CREATE TRIGGER import_file_removed AFTER DELETE ON import_files REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION count_rows('imported_files');
CREATE TRIGGER initiative_added AFTER INSERT ON initiatives REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION count_rows('initiatives');
CREATE TRIGGER initiative_removed AFTER DELETE ON initiatives REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION count_rows('initiatives');
CREATE TRIGGER publication_added AFTER INSERT ON publications REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION count_rows('publications');
CREATE TRIGGER publication_removed AFTER DELETE ON publications REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION count_rows('publications');
CREATE TRIGGER person_added AFTER INSERT ON people REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION count_rows('people');
CREATE TRIGGER person_removed AFTER DELETE ON people REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION count_rows('people');

-- Register entries: counted, and per snapshot date.
CREATE FUNCTION register_entries_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE record_counts SET n = n + (SELECT count(*) FROM changed) WHERE name = 'register_entries';
    INSERT INTO register_snapshots (snapshot_date, entries)
        SELECT snapshot_date, count(*) FROM changed GROUP BY snapshot_date
        ON CONFLICT (snapshot_date) DO UPDATE SET entries = register_snapshots.entries + excluded.entries;
    RETURN NULL;
END $$;
CREATE FUNCTION register_entries_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE record_counts SET n = n - (SELECT count(*) FROM changed) WHERE name = 'register_entries';
    UPDATE register_snapshots s SET entries = s.entries - c.n
        FROM (SELECT snapshot_date, count(*) AS n FROM changed GROUP BY snapshot_date) c
        WHERE s.snapshot_date = c.snapshot_date;
    DELETE FROM register_snapshots WHERE entries <= 0;
    RETURN NULL;
END $$;
CREATE TRIGGER register_entry_added AFTER INSERT ON register_entries REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION register_entries_added();
CREATE TRIGGER register_entry_removed AFTER DELETE ON register_entries REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION register_entries_removed();

-- Organisations: counted, with how many have activity of each kind; a new one is noted so that
-- the fold gives it its counts.

-- The counters of record_counts an organisation row counts towards.
CREATE FUNCTION organisation_counters(register_id TEXT, commission BIGINT, parliament BIGINT, responses BIGINT)
RETURNS TABLE (counter TEXT) LANGUAGE sql IMMUTABLE AS $$
    SELECT 'organisations'
    UNION ALL SELECT 'registered_organisations' WHERE register_id IS NOT NULL
    UNION ALL SELECT 'organisations_commission' WHERE commission > 0
    UNION ALL SELECT 'organisations_parliament' WHERE parliament > 0
    UNION ALL SELECT 'organisations_responses' WHERE responses > 0
$$;
CREATE FUNCTION organisations_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agg_log (kind, delta, org_key) SELECT 'o', 1, key FROM new_rows;
    UPDATE record_counts r SET n = r.n + d.delta FROM (
        SELECT c.counter, count(*) AS delta
        FROM new_rows o CROSS JOIN LATERAL organisation_counters(o.register_id, o.commission, o.parliament, o.responses) c
        GROUP BY c.counter
    ) AS d WHERE r.name = d.counter;
    RETURN NULL;
END $$;
CREATE FUNCTION organisations_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE record_counts r SET n = r.n - d.delta FROM (
        SELECT c.counter, count(*) AS delta
        FROM old_rows o CROSS JOIN LATERAL organisation_counters(o.register_id, o.commission, o.parliament, o.responses) c
        GROUP BY c.counter
    ) AS d WHERE r.name = d.counter;
    RETURN NULL;
END $$;
CREATE FUNCTION organisations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE record_counts r SET n = r.n + d.delta FROM (
        SELECT counter, sum(delta) AS delta FROM (
            SELECT c.counter, 1 AS delta
            FROM new_rows o CROSS JOIN LATERAL organisation_counters(o.register_id, o.commission, o.parliament, o.responses) c
            UNION ALL SELECT c.counter, -1
            FROM old_rows o CROSS JOIN LATERAL organisation_counters(o.register_id, o.commission, o.parliament, o.responses) c
        ) AS moved GROUP BY counter HAVING sum(delta) <> 0
    ) AS d WHERE r.name = d.counter;
    RETURN NULL;
END $$;
CREATE TRIGGER organisation_added AFTER INSERT ON organisations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organisations_added();
CREATE TRIGGER organisation_removed AFTER DELETE ON organisations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organisations_removed();
CREATE TRIGGER organisation_changed AFTER UPDATE ON organisations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organisations_changed();

-- Meetings, their linked attendees and responses, noted for the fold.
CREATE FUNCTION meetings_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agg_log (kind, delta, institution)
        SELECT 'm', (CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END) * count(*), institution FROM changed GROUP BY institution;
    RETURN NULL;
END $$;
CREATE TRIGGER meeting_added AFTER INSERT ON meetings REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_noted();
CREATE TRIGGER meeting_removed AFTER DELETE ON meetings REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_noted();

CREATE FUNCTION attendees_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, meeting_id)
        SELECT 'a', CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END, org_key, name, meeting_id FROM changed
        WHERE org_key IS NOT NULL;
    RETURN NULL;
END $$;
CREATE FUNCTION attendees_relinked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, meeting_id)
        SELECT 'a', -1, o.org_key, o.name, o.meeting_id
        FROM old_rows o JOIN new_rows n ON n.meeting_id = o.meeting_id AND n.position = o.position
        WHERE o.org_key IS NOT NULL AND (o.org_key IS DISTINCT FROM n.org_key OR o.name IS DISTINCT FROM n.name)
        UNION ALL
        SELECT 'a', 1, n.org_key, n.name, n.meeting_id
        FROM old_rows o JOIN new_rows n ON n.meeting_id = o.meeting_id AND n.position = o.position
        WHERE n.org_key IS NOT NULL AND (o.org_key IS DISTINCT FROM n.org_key OR o.name IS DISTINCT FROM n.name);
    RETURN NULL;
END $$;
CREATE TRIGGER attendee_added AFTER INSERT ON meeting_attendees REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION attendees_noted();
CREATE TRIGGER attendee_removed AFTER DELETE ON meeting_attendees REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION attendees_noted();
CREATE TRIGGER attendee_relinked AFTER UPDATE ON meeting_attendees REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attendees_relinked();

CREATE FUNCTION responses_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, quarter, publication_id, user_type, country)
        SELECT 'r', CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END, org_key, organization, quarter, publication_id,
               user_type, country
        FROM changed;
    RETURN NULL;
END $$;
CREATE FUNCTION responses_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, quarter, publication_id, user_type, country)
        SELECT 'r', side.delta, side.org_key, side.organization, side.quarter, side.publication_id, side.user_type,
               side.country
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES
            (-1, o.org_key, o.organization, o.quarter, o.publication_id, o.user_type, o.country),
            (1, n.org_key, n.organization, n.quarter, n.publication_id, n.user_type, n.country)
        ) AS side (delta, org_key, organization, quarter, publication_id, user_type, country)
        WHERE o.org_key IS DISTINCT FROM n.org_key OR o.organization IS DISTINCT FROM n.organization
           OR o.date IS DISTINCT FROM n.date OR o.publication_id IS DISTINCT FROM n.publication_id
           OR o.user_type IS DISTINCT FROM n.user_type OR o.country IS DISTINCT FROM n.country;
    RETURN NULL;
END $$;
CREATE TRIGGER response_added AFTER INSERT ON feedback REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION responses_noted();
CREATE TRIGGER response_removed AFTER DELETE ON feedback REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION responses_noted();
CREATE TRIGGER response_changed AFTER UPDATE ON feedback REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION responses_changed();

-- Position items, counted by status and shown.
CREATE FUNCTION position_counters(status TEXT, shown BIGINT) RETURNS TABLE (counter TEXT) LANGUAGE sql IMMUTABLE AS $$
    SELECT 'positions_' || status UNION ALL SELECT 'positions_shown' WHERE shown = 1
$$;
CREATE FUNCTION position_items_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE record_counts r SET n = r.n + d.delta FROM (
            SELECT c.counter, count(*) AS delta FROM new_rows p CROSS JOIN LATERAL position_counters(p.status, p.shown) c
            GROUP BY c.counter) AS d WHERE r.name = d.counter;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE record_counts r SET n = r.n - d.delta FROM (
            SELECT c.counter, count(*) AS delta FROM old_rows p CROSS JOIN LATERAL position_counters(p.status, p.shown) c
            GROUP BY c.counter) AS d WHERE r.name = d.counter;
    ELSE
        UPDATE record_counts r SET n = r.n + d.delta FROM (
            SELECT counter, sum(delta) AS delta FROM (
                SELECT c.counter, 1 AS delta FROM new_rows p CROSS JOIN LATERAL position_counters(p.status, p.shown) c
                UNION ALL
                SELECT c.counter, -1 FROM old_rows p CROSS JOIN LATERAL position_counters(p.status, p.shown) c
            ) AS moved GROUP BY counter HAVING sum(delta) <> 0) AS d WHERE r.name = d.counter;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER position_item_added AFTER INSERT ON position_items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION position_items_counted();
CREATE TRIGGER position_item_removed AFTER DELETE ON position_items REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION position_items_counted();
CREATE TRIGGER position_item_changed AFTER UPDATE ON position_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION position_items_counted();

-- A person's and a procedure's meetings, kept from the hosts and procedures of meetings. The
-- store replaces a corrected meeting (and its hosts and procedures) rather than updating it;
-- the update triggers keep the tables true should anything update them in place.
CREATE FUNCTION hosts_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO person_meetings (person_key, meeting_id, position, name, role, date, institution, cabinet, dg, portfolio)
        SELECT h.person_key, h.meeting_id, h.position, h.name, h.role, m.date, m.institution, m.cabinet,
               coalesce(m.dg, m.dg_acronym), m.portfolio
        FROM new_rows h JOIN meetings m ON m.id = h.meeting_id;
    RETURN NULL;
END $$;
CREATE FUNCTION hosts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM person_meetings p USING old_rows h
        WHERE p.person_key = h.person_key AND p.meeting_id = h.meeting_id AND p.position = h.position;
    RETURN NULL;
END $$;
CREATE FUNCTION hosts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM person_meetings p USING old_rows h
        WHERE p.person_key = h.person_key AND p.meeting_id = h.meeting_id AND p.position = h.position;
    INSERT INTO person_meetings (person_key, meeting_id, position, name, role, date, institution, cabinet, dg, portfolio)
        SELECT h.person_key, h.meeting_id, h.position, h.name, h.role, m.date, m.institution, m.cabinet,
               coalesce(m.dg, m.dg_acronym), m.portfolio
        FROM new_rows h JOIN meetings m ON m.id = h.meeting_id;
    RETURN NULL;
END $$;
CREATE TRIGGER host_added AFTER INSERT ON meeting_hosts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hosts_added();
CREATE TRIGGER host_removed AFTER DELETE ON meeting_hosts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hosts_removed();
CREATE TRIGGER host_changed AFTER UPDATE ON meeting_hosts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hosts_changed();

CREATE FUNCTION procedures_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO procedure_meetings (reference, meeting_id, date, institution)
        SELECT p.reference, p.meeting_id, m.date, m.institution FROM new_rows p JOIN meetings m ON m.id = p.meeting_id;
    RETURN NULL;
END $$;
CREATE FUNCTION procedures_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM procedure_meetings q USING old_rows p WHERE q.reference = p.reference AND q.meeting_id = p.meeting_id;
    RETURN NULL;
END $$;
CREATE FUNCTION procedures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM procedure_meetings q USING old_rows p WHERE q.reference = p.reference AND q.meeting_id = p.meeting_id;
    INSERT INTO procedure_meetings (reference, meeting_id, date, institution)
        SELECT p.reference, p.meeting_id, m.date, m.institution FROM new_rows p JOIN meetings m ON m.id = p.meeting_id;
    RETURN NULL;
END $$;
CREATE TRIGGER procedure_cited AFTER INSERT ON meeting_procedures REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION procedures_added();
CREATE TRIGGER procedure_uncited AFTER DELETE ON meeting_procedures REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION procedures_removed();
CREATE TRIGGER procedure_citation_changed AFTER UPDATE ON meeting_procedures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION procedures_changed();

CREATE FUNCTION meetings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE person_meetings p SET date = n.date, institution = n.institution, cabinet = n.cabinet,
        dg = coalesce(n.dg, n.dg_acronym), portfolio = n.portfolio
        FROM new_rows n WHERE p.meeting_id = n.id;
    UPDATE procedure_meetings p SET date = n.date, institution = n.institution
        FROM new_rows n WHERE p.meeting_id = n.id;
    RETURN NULL;
END $$;
CREATE TRIGGER meeting_changed AFTER UPDATE ON meetings REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_changed();
