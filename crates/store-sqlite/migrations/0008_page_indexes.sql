-- Pages that go deep and pages of busy people, without reading rows they do not show.

-- The organisations list: its sort keys as stored columns. Indexes on `lower(name)` and on the
-- virtual column `total` are not covering (SQLite reads the table row to check them), so a deep
-- page's OFFSET looked up every organisation it skipped; on stored columns the indexes below
-- answer the list's queries alone. Both columns are kept by the triggers below; the fold
-- (`stats::settle`) writes only the three counts.
DROP INDEX organisations_by_name;
DROP INDEX organisations_by_activity;
DROP INDEX organisations_by_commission;
DROP INDEX organisations_by_parliament;
DROP INDEX organisations_by_responses;
ALTER TABLE organisations DROP COLUMN total;
ALTER TABLE organisations ADD COLUMN total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
UPDATE organisations SET total = commission + parliament + responses, sort_name = lower(name);
CREATE INDEX organisations_by_name ON organisations (sort_name, key);
CREATE INDEX organisations_by_activity ON organisations (total DESC, sort_name, key, commission, parliament, responses);
CREATE INDEX organisations_by_commission ON organisations (commission DESC, total DESC, sort_name, key) WHERE commission > 0;
CREATE INDEX organisations_by_parliament ON organisations (parliament DESC, total DESC, sort_name, key) WHERE parliament > 0;
CREATE INDEX organisations_by_responses ON organisations (responses DESC, total DESC, sort_name, key) WHERE responses > 0;

-- How many organisations have some activity of each kind: where an order by one kind of
-- activity passes from its own run to the rest (`read_lists`), without counting index entries.
INSERT INTO record_counts (name, n) VALUES
    ('organisations_commission', (SELECT count(*) FROM organisations WHERE commission > 0)),
    ('organisations_parliament', (SELECT count(*) FROM organisations WHERE parliament > 0)),
    ('organisations_responses', (SELECT count(*) FROM organisations WHERE responses > 0));

-- An organisation row is written once per file that changes its counts at most (the fold
-- writes only rows whose counts differ), so these cost a row update per organisation changed.
CREATE TRIGGER organisation_sort_keys AFTER INSERT ON organisations BEGIN
    UPDATE organisations SET sort_name = lower(NEW.name), total = NEW.commission + NEW.parliament + NEW.responses
        WHERE key = NEW.key;
    UPDATE record_counts SET n = n + 1 WHERE name = 'organisations_commission' AND NEW.commission > 0;
    UPDATE record_counts SET n = n + 1 WHERE name = 'organisations_parliament' AND NEW.parliament > 0;
    UPDATE record_counts SET n = n + 1 WHERE name = 'organisations_responses' AND NEW.responses > 0;
END;
CREATE TRIGGER organisation_renamed AFTER UPDATE OF name ON organisations
WHEN NEW.sort_name IS NOT lower(NEW.name) BEGIN
    UPDATE organisations SET sort_name = lower(NEW.name) WHERE key = NEW.key;
END;
CREATE TRIGGER organisation_counted AFTER UPDATE OF commission, parliament, responses ON organisations BEGIN
    UPDATE organisations SET total = NEW.commission + NEW.parliament + NEW.responses
        WHERE key = NEW.key AND total IS NOT NEW.commission + NEW.parliament + NEW.responses;
    UPDATE record_counts SET n = n + (NEW.commission > 0) - (OLD.commission > 0)
        WHERE name = 'organisations_commission' AND (NEW.commission > 0) <> (OLD.commission > 0);
    UPDATE record_counts SET n = n + (NEW.parliament > 0) - (OLD.parliament > 0)
        WHERE name = 'organisations_parliament' AND (NEW.parliament > 0) <> (OLD.parliament > 0);
    UPDATE record_counts SET n = n + (NEW.responses > 0) - (OLD.responses > 0)
        WHERE name = 'organisations_responses' AND (NEW.responses > 0) <> (OLD.responses > 0);
END;
CREATE TRIGGER organisation_uncounted AFTER DELETE ON organisations BEGIN
    UPDATE record_counts SET n = n - 1 WHERE name = 'organisations_commission' AND OLD.commission > 0;
    UPDATE record_counts SET n = n - 1 WHERE name = 'organisations_parliament' AND OLD.parliament > 0;
    UPDATE record_counts SET n = n - 1 WHERE name = 'organisations_responses' AND OLD.responses > 0;
END;

-- Each host of each meeting with what a person's page shows and filters by, so that the page
-- of an MEP with thousands of meetings reads one range of this table instead of looking up
-- every meeting. One row per `meeting_hosts` row (a person listed twice in a meeting has two;
-- pages count distinct meetings). Kept by row triggers: a meeting has one or two hosts, and
-- its row was written just before them, so each costs a lookup of a page in cache and an
-- insert into the person's range.
CREATE TABLE person_meetings (
    person_key   TEXT NOT NULL,
    meeting_id   TEXT NOT NULL,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,   -- as published
    role         TEXT,
    date         TEXT NOT NULL,
    institution  TEXT NOT NULL,
    cabinet      TEXT,
    dg           TEXT,            -- the Directorate-General's name, else its acronym
    portfolio    TEXT,
    PRIMARY KEY (person_key, meeting_id, position)
) WITHOUT ROWID;
CREATE INDEX person_meetings_by_date ON person_meetings (person_key, date DESC, meeting_id, institution);

INSERT INTO person_meetings (person_key, meeting_id, position, name, role, date, institution, cabinet, dg, portfolio)
    SELECT h.person_key, h.meeting_id, h.position, h.name, h.role, m.date, m.institution, m.cabinet,
           coalesce(m.dg, m.dg_acronym), m.portfolio
    FROM meeting_hosts h JOIN meetings m ON m.id = h.meeting_id;

CREATE TRIGGER host_added AFTER INSERT ON meeting_hosts BEGIN
    INSERT INTO person_meetings (person_key, meeting_id, position, name, role, date, institution, cabinet, dg, portfolio)
        SELECT NEW.person_key, NEW.meeting_id, NEW.position, NEW.name, NEW.role, m.date, m.institution, m.cabinet,
               coalesce(m.dg, m.dg_acronym), m.portfolio
        FROM meetings m WHERE m.id = NEW.meeting_id;
END;
-- Also when a meeting is removed: its hosts go with it (ON DELETE CASCADE fires this).
CREATE TRIGGER host_removed AFTER DELETE ON meeting_hosts BEGIN
    DELETE FROM person_meetings
        WHERE person_key = OLD.person_key AND meeting_id = OLD.meeting_id AND position = OLD.position;
END;
-- The store replaces a corrected meeting and its hosts rather than updating them; these keep
-- the table true should anything update them in place.
CREATE TRIGGER host_changed AFTER UPDATE ON meeting_hosts BEGIN
    DELETE FROM person_meetings
        WHERE person_key = OLD.person_key AND meeting_id = OLD.meeting_id AND position = OLD.position;
    INSERT INTO person_meetings (person_key, meeting_id, position, name, role, date, institution, cabinet, dg, portfolio)
        SELECT NEW.person_key, NEW.meeting_id, NEW.position, NEW.name, NEW.role, m.date, m.institution, m.cabinet,
               coalesce(m.dg, m.dg_acronym), m.portfolio
        FROM meetings m WHERE m.id = NEW.meeting_id;
END;
CREATE TRIGGER meeting_facets_changed AFTER UPDATE OF date, institution, cabinet, dg, dg_acronym, portfolio ON meetings
BEGIN
    UPDATE person_meetings SET date = NEW.date, institution = NEW.institution, cabinet = NEW.cabinet,
        dg = coalesce(NEW.dg, NEW.dg_acronym), portfolio = NEW.portfolio
        WHERE (person_key, meeting_id, position) IN
            (SELECT person_key, meeting_id, position FROM meeting_hosts WHERE meeting_id = NEW.id);
END;
