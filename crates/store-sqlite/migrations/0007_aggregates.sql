-- The figures pages show, kept as the data changes, so that no page reads every row behind
-- them (at the EU's size: 2 million responses, 260,000 meetings).
--
-- Triggers on the records note every change in `agg_log`, one appended row per change; before
-- the transaction commits, the store folds the notes into the tables below with a few
-- set-based statements and empties the log (store-sqlite `stats::settle`). Appending is the
-- cheapest thing a trigger can do: a trigger that updated four aggregates per response cost
-- about 45 µs a response, five times the insert itself. Folding once per transaction also
-- moves a busy organisation in the organisations list's indexes once per file, not once per
-- mention. Counts of the other, rarer records are kept by their triggers directly.

-- The quarter a date falls in: '2022-Q2'; '' when there is no date. Dates are ISO text
-- ('2022-06-30' or '2022-06-30 10:00:00'), so the same expression serves both tables.
ALTER TABLE meetings ADD COLUMN quarter TEXT GENERATED ALWAYS AS (
    CASE WHEN date IS NULL THEN '' ELSE substr(date, 1, 4) || '-Q' || ((CAST(substr(date, 6, 2) AS INTEGER) + 2) / 3) END
) VIRTUAL;
ALTER TABLE feedback ADD COLUMN quarter TEXT GENERATED ALWAYS AS (
    CASE WHEN date IS NULL THEN '' ELSE substr(date, 1, 4) || '-Q' || ((CAST(substr(date, 6, 2) AS INTEGER) + 2) / 3) END
) VIRTUAL;

-- Each meeting an organisation attended, once however many of its attendees were the
-- organisation (as pages count them), with what its timeline sorts and filters by.
CREATE TABLE org_meetings (
    org_key      TEXT NOT NULL,
    meeting_id   TEXT NOT NULL,
    date         TEXT NOT NULL,
    quarter      TEXT NOT NULL,
    institution  TEXT NOT NULL,
    PRIMARY KEY (org_key, meeting_id)
) WITHOUT ROWID;
-- An organisation's meetings newest first, as its timeline lists them.
CREATE INDEX org_meetings_by_date ON org_meetings (org_key, date DESC, meeting_id, institution);

-- Activity per organisation and quarter: the organisation page's chart and counts, and the
-- source of the counts on `organisations`. Rows may fall to zero; readers skip them.
CREATE TABLE org_quarters (
    org_key     TEXT NOT NULL,
    quarter     TEXT NOT NULL,
    commission  INTEGER NOT NULL DEFAULT 0,
    parliament  INTEGER NOT NULL DEFAULT 0,
    responses   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_key, quarter)
) WITHOUT ROWID;

-- The names sources published for an organisation, with how many mentions carry each.
CREATE TABLE org_names (
    org_key   TEXT NOT NULL,
    name      TEXT NOT NULL,
    mentions  INTEGER NOT NULL,
    PRIMARY KEY (org_key, name)
) WITHOUT ROWID;

-- Changes to mentions and meetings in the open transaction, to fold (above); empty between
-- transactions. `delta` is 1 for a row added, -1 for a row removed.
CREATE TABLE agg_log (
    kind            TEXT NOT NULL,   -- 'r' response, 'a' meeting attendee, 'm' meeting, 'o' organisation added
    delta           INTEGER NOT NULL,
    org_key         TEXT,
    name            TEXT,            -- as published: the attendee's name, the response's organisation
    quarter         TEXT,
    meeting_id      TEXT,
    institution     TEXT,
    publication_id  INTEGER,
    user_type       TEXT,
    country         TEXT
);
-- The organisations' meetings a fold adds (1) and removes (-1); empty between transactions.
CREATE TABLE agg_meetings (
    org_key      TEXT NOT NULL,
    meeting_id   TEXT NOT NULL,
    date         TEXT NOT NULL,
    quarter      TEXT NOT NULL,
    institution  TEXT NOT NULL,
    delta        INTEGER NOT NULL
);

-- Responses per publication, respondent type and country ('' where the source gave none), for
-- an initiative's counts.
CREATE TABLE publication_counts (
    publication_id  INTEGER NOT NULL,
    user_type       TEXT NOT NULL,
    country         TEXT NOT NULL,
    responses       INTEGER NOT NULL,
    PRIMARY KEY (publication_id, user_type, country)
) WITHOUT ROWID;

-- Rows per kind of record, for the home page and `lobbyscope stats`.
CREATE TABLE record_counts (
    name  TEXT PRIMARY KEY,
    n     INTEGER NOT NULL
) WITHOUT ROWID;

-- Register entries per snapshot date; a date with no entry left is removed.
CREATE TABLE register_snapshots (
    snapshot_date  TEXT PRIMARY KEY,
    entries        INTEGER NOT NULL
) WITHOUT ROWID;

-- The organisations list's figures, and an index per order it offers. An order by one kind of
-- activity lists the organisations with some of it from its own (partial, so that other
-- activity does not move them in it), then the rest in the order of activity, whose index
-- covers the counts for that.
ALTER TABLE organisations ADD COLUMN commission INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN parliament INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN responses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN total INTEGER GENERATED ALWAYS AS (commission + parliament + responses) VIRTUAL;
CREATE INDEX organisations_by_name ON organisations (lower(name), key);
CREATE INDEX organisations_by_activity ON organisations (total DESC, lower(name), key, commission, parliament, responses);
CREATE INDEX organisations_by_commission ON organisations (commission DESC, total DESC, lower(name), key) WHERE commission > 0;
CREATE INDEX organisations_by_parliament ON organisations (parliament DESC, total DESC, lower(name), key) WHERE parliament > 0;
CREATE INDEX organisations_by_responses ON organisations (responses DESC, total DESC, lower(name), key) WHERE responses > 0;

-- The home page shows when the last import ran.
CREATE INDEX import_files_by_time ON import_files (imported_at);

-- Timelines read responses newest first by organisation and by publication.
DROP INDEX feedback_by_org;
CREATE INDEX feedback_by_org_date ON feedback (org_key, date DESC);
DROP INDEX feedback_by_publication;
CREATE INDEX feedback_by_publication_date ON feedback (publication_id, date);
CREATE INDEX position_items_shown ON position_items (org_key, date DESC, id) WHERE shown = 1;

-- What the store holds so far.
INSERT INTO org_meetings (org_key, meeting_id, date, quarter, institution)
    SELECT DISTINCT a.org_key, m.id, m.date, m.quarter, m.institution
    FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id WHERE a.org_key IS NOT NULL;
INSERT INTO org_quarters (org_key, quarter, commission, parliament, responses)
    SELECT org_key, quarter, sum(c), sum(p), sum(r) FROM (
        SELECT org_key, quarter, institution = 'commission' AS c, institution = 'parliament' AS p, 0 AS r FROM org_meetings
        UNION ALL SELECT org_key, quarter, 0, 0, 1 FROM feedback WHERE org_key IS NOT NULL
    ) GROUP BY org_key, quarter;
INSERT INTO org_names (org_key, name, mentions)
    SELECT org_key, name, count(*) FROM (
        SELECT org_key, name FROM meeting_attendees WHERE org_key IS NOT NULL AND name IS NOT NULL
        UNION ALL SELECT org_key, organization FROM feedback WHERE org_key IS NOT NULL AND organization IS NOT NULL
    ) GROUP BY org_key, name;
INSERT INTO publication_counts (publication_id, user_type, country, responses)
    SELECT publication_id, coalesce(user_type, ''), coalesce(country, ''), count(*) FROM feedback
    WHERE publication_id IS NOT NULL GROUP BY 1, 2, 3;
UPDATE organisations SET commission = s.commission, parliament = s.parliament, responses = s.responses
    FROM (SELECT org_key, sum(commission) AS commission, sum(parliament) AS parliament, sum(responses) AS responses
          FROM org_quarters GROUP BY org_key) AS s
    WHERE s.org_key = organisations.key;
INSERT INTO record_counts (name, n) VALUES
    ('organisations', (SELECT count(*) FROM organisations)),
    ('registered_organisations', (SELECT count(*) FROM organisations WHERE register_id IS NOT NULL)),
    ('register_entries', (SELECT count(*) FROM register_entries)),
    ('commission_meetings', (SELECT count(*) FROM meetings WHERE institution = 'commission')),
    ('parliament_meetings', (SELECT count(*) FROM meetings WHERE institution = 'parliament')),
    ('initiatives', (SELECT count(*) FROM initiatives)),
    ('publications', (SELECT count(*) FROM publications)),
    ('responses', (SELECT count(*) FROM feedback)),
    ('people', (SELECT count(*) FROM people)),
    ('imported_files', (SELECT count(*) FROM import_files)),
    ('positions_shown', (SELECT count(*) FROM position_items WHERE shown = 1)),
    ('positions_written', (SELECT count(*) FROM position_items WHERE status = 'written')),
    ('positions_empty', (SELECT count(*) FROM position_items WHERE status = 'empty')),
    ('positions_pending', (SELECT count(*) FROM position_items WHERE status = 'pending'));
INSERT INTO register_snapshots (snapshot_date, entries)
    SELECT snapshot_date, count(*) FROM register_entries GROUP BY snapshot_date;

-- Organisations: counted; a new one gets its counts at the fold.
CREATE TRIGGER organisation_added AFTER INSERT ON organisations BEGIN
    UPDATE record_counts SET n = n + 1 WHERE name = 'organisations';
    UPDATE record_counts SET n = n + 1 WHERE name = 'registered_organisations' AND NEW.register_id IS NOT NULL;
    INSERT INTO agg_log (kind, delta, org_key) VALUES ('o', 1, NEW.key);
END;
CREATE TRIGGER organisation_removed AFTER DELETE ON organisations BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'organisations';
    UPDATE record_counts SET n = n - 1 WHERE name = 'registered_organisations' AND OLD.register_id IS NOT NULL;
END;
CREATE TRIGGER organisation_registered AFTER UPDATE OF register_id ON organisations
WHEN (OLD.register_id IS NULL) <> (NEW.register_id IS NULL) BEGIN
    UPDATE record_counts SET n = n + (CASE WHEN NEW.register_id IS NULL THEN -1 ELSE 1 END)
        WHERE name = 'registered_organisations';
END;

-- Meetings, their linked attendees (also when a meeting is removed: its attendees go with it),
-- and responses, noted for the fold. A linking pass moving a mention notes its removal from
-- one organisation and its addition to the other.
CREATE TRIGGER meeting_added AFTER INSERT ON meetings BEGIN
    INSERT INTO agg_log (kind, delta, institution) VALUES ('m', 1, NEW.institution);
END;
CREATE TRIGGER meeting_removed AFTER DELETE ON meetings BEGIN
    INSERT INTO agg_log (kind, delta, institution) VALUES ('m', -1, OLD.institution);
END;
CREATE TRIGGER attendee_added AFTER INSERT ON meeting_attendees WHEN NEW.org_key IS NOT NULL BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, meeting_id) VALUES ('a', 1, NEW.org_key, NEW.name, NEW.meeting_id);
END;
CREATE TRIGGER attendee_removed AFTER DELETE ON meeting_attendees WHEN OLD.org_key IS NOT NULL BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, meeting_id) VALUES ('a', -1, OLD.org_key, OLD.name, OLD.meeting_id);
END;
CREATE TRIGGER attendee_relinked AFTER UPDATE OF org_key, name ON meeting_attendees
WHEN OLD.org_key IS NOT NEW.org_key OR OLD.name IS NOT NEW.name BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, meeting_id)
        SELECT 'a', -1, OLD.org_key, OLD.name, OLD.meeting_id WHERE OLD.org_key IS NOT NULL
        UNION ALL SELECT 'a', 1, NEW.org_key, NEW.name, NEW.meeting_id WHERE NEW.org_key IS NOT NULL;
END;
CREATE TRIGGER response_added AFTER INSERT ON feedback BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, quarter, publication_id, user_type, country)
        VALUES ('r', 1, NEW.org_key, NEW.organization, NEW.quarter, NEW.publication_id, NEW.user_type, NEW.country);
END;
CREATE TRIGGER response_removed AFTER DELETE ON feedback BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, quarter, publication_id, user_type, country)
        VALUES ('r', -1, OLD.org_key, OLD.organization, OLD.quarter, OLD.publication_id, OLD.user_type, OLD.country);
END;
CREATE TRIGGER response_changed AFTER UPDATE OF org_key, organization, date, publication_id, user_type, country ON feedback
WHEN OLD.org_key IS NOT NEW.org_key OR OLD.organization IS NOT NEW.organization OR OLD.date IS NOT NEW.date
  OR OLD.publication_id IS NOT NEW.publication_id OR OLD.user_type IS NOT NEW.user_type OR OLD.country IS NOT NEW.country
BEGIN
    INSERT INTO agg_log (kind, delta, org_key, name, quarter, publication_id, user_type, country)
        VALUES ('r', -1, OLD.org_key, OLD.organization, OLD.quarter, OLD.publication_id, OLD.user_type, OLD.country),
               ('r', 1, NEW.org_key, NEW.organization, NEW.quarter, NEW.publication_id, NEW.user_type, NEW.country);
END;

-- The other records, counted.
CREATE TRIGGER register_entry_added AFTER INSERT ON register_entries BEGIN
    UPDATE record_counts SET n = n + 1 WHERE name = 'register_entries';
    INSERT INTO register_snapshots (snapshot_date, entries) VALUES (NEW.snapshot_date, 1)
        ON CONFLICT DO UPDATE SET entries = entries + 1;
END;
CREATE TRIGGER register_entry_removed AFTER DELETE ON register_entries BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'register_entries';
    UPDATE register_snapshots SET entries = entries - 1 WHERE snapshot_date = OLD.snapshot_date;
    DELETE FROM register_snapshots WHERE snapshot_date = OLD.snapshot_date AND entries = 0;
END;
CREATE TRIGGER initiative_added AFTER INSERT ON initiatives BEGIN
    UPDATE record_counts SET n = n + 1 WHERE name = 'initiatives';
END;
CREATE TRIGGER initiative_removed AFTER DELETE ON initiatives BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'initiatives';
END;
CREATE TRIGGER publication_added AFTER INSERT ON publications BEGIN
    UPDATE record_counts SET n = n + 1 WHERE name = 'publications';
END;
CREATE TRIGGER publication_removed AFTER DELETE ON publications BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'publications';
END;
CREATE TRIGGER person_added AFTER INSERT ON people BEGIN
    UPDATE record_counts SET n = n + 1 WHERE name = 'people';
END;
CREATE TRIGGER person_removed AFTER DELETE ON people BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'people';
END;
CREATE TRIGGER import_file_added AFTER INSERT ON import_files BEGIN
    UPDATE record_counts SET n = n + 1 WHERE name = 'imported_files';
END;
CREATE TRIGGER import_file_removed AFTER DELETE ON import_files BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'imported_files';
END;
CREATE TRIGGER position_item_added AFTER INSERT ON position_items BEGIN
    UPDATE record_counts SET n = n + 1 WHERE name = 'positions_' || NEW.status;
    UPDATE record_counts SET n = n + 1 WHERE name = 'positions_shown' AND NEW.shown = 1;
END;
CREATE TRIGGER position_item_removed AFTER DELETE ON position_items BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'positions_' || OLD.status;
    UPDATE record_counts SET n = n - 1 WHERE name = 'positions_shown' AND OLD.shown = 1;
END;
CREATE TRIGGER position_item_changed AFTER UPDATE OF status, shown ON position_items BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'positions_' || OLD.status;
    UPDATE record_counts SET n = n - 1 WHERE name = 'positions_shown' AND OLD.shown = 1;
    UPDATE record_counts SET n = n + 1 WHERE name = 'positions_' || NEW.status;
    UPDATE record_counts SET n = n + 1 WHERE name = 'positions_shown' AND NEW.shown = 1;
END;
