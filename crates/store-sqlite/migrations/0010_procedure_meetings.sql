-- The meetings citing each procedure with their dates, so that a procedure's page reads one
-- range of this table instead of looking up each of its (hundreds of) meetings, as
-- `person_meetings` (migration 0008) does for a person. Kept by row triggers: a meeting cites
-- a procedure or two, and its row was written just before them.
CREATE TABLE procedure_meetings (
    reference    TEXT NOT NULL,
    meeting_id   TEXT NOT NULL,
    date         TEXT NOT NULL,
    institution  TEXT NOT NULL,
    PRIMARY KEY (reference, meeting_id)
) WITHOUT ROWID;
CREATE INDEX procedure_meetings_by_date ON procedure_meetings (reference, date DESC, meeting_id, institution);

INSERT INTO procedure_meetings (reference, meeting_id, date, institution)
    SELECT p.reference, p.meeting_id, m.date, m.institution
    FROM meeting_procedures p JOIN meetings m ON m.id = p.meeting_id;

CREATE TRIGGER procedure_cited AFTER INSERT ON meeting_procedures BEGIN
    INSERT INTO procedure_meetings (reference, meeting_id, date, institution)
        SELECT NEW.reference, NEW.meeting_id, m.date, m.institution FROM meetings m WHERE m.id = NEW.meeting_id;
END;
-- Also when a meeting is removed: its procedures go with it (ON DELETE CASCADE fires this).
CREATE TRIGGER procedure_uncited AFTER DELETE ON meeting_procedures BEGIN
    DELETE FROM procedure_meetings WHERE reference = OLD.reference AND meeting_id = OLD.meeting_id;
END;
-- The store replaces corrected meetings rather than updating them; these keep the table true
-- should anything update them in place.
CREATE TRIGGER procedure_citation_changed AFTER UPDATE ON meeting_procedures BEGIN
    DELETE FROM procedure_meetings WHERE reference = OLD.reference AND meeting_id = OLD.meeting_id;
    INSERT INTO procedure_meetings (reference, meeting_id, date, institution)
        SELECT NEW.reference, NEW.meeting_id, m.date, m.institution FROM meetings m WHERE m.id = NEW.meeting_id;
END;
CREATE TRIGGER meeting_redated AFTER UPDATE OF date, institution ON meetings BEGIN
    UPDATE procedure_meetings SET date = NEW.date, institution = NEW.institution
        WHERE (reference, meeting_id) IN (SELECT reference, meeting_id FROM meeting_procedures WHERE meeting_id = NEW.id);
END;
