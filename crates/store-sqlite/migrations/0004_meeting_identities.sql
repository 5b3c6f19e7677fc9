-- Meetings get stable identities (lobbyscope_domain::identity): `{natural key}-{ordinal}`
-- instead of a hash of their content, so that a meeting corrected upstream keeps its identity
-- and URL. Meetings stored under the old content-hash ids cannot be mapped to the new ones
-- without their files, so they are removed: import the meeting files again (README, "Upgrading").
DELETE FROM meeting_attendees;
DELETE FROM meeting_hosts;
DELETE FROM meeting_procedures;
DELETE FROM meetings;
DELETE FROM people;

ALTER TABLE meetings ADD COLUMN natural_key TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
-- Digests of subject, attendees, hosts and location (domain::Facets), to pair a corrected
-- meeting with its stored version.
ALTER TABLE meetings ADD COLUMN facets TEXT NOT NULL DEFAULT '';
CREATE INDEX meetings_by_natural_key ON meetings (natural_key);

-- Earlier versions of meetings that a later import corrected, numbered from 1 (the first
-- published). What a version said is kept as published; `replaced_*` names the import that
-- replaced it.
CREATE TABLE meeting_history (
    meeting_id     TEXT NOT NULL,
    version        INTEGER NOT NULL,
    replaced_at    TEXT NOT NULL,
    replaced_by    TEXT NOT NULL,      -- the file whose import replaced this version
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
) WITHOUT ROWID;
