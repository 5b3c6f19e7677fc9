-- Timelines order by date DESC NULLS LAST (responses without a date last, as SQLite sorts
-- them), and PostgreSQL reads an index in a query's order only when its nulls fall the same
-- way: the indexes of 0001 (DESC, so NULLS FIRST; or ascending) made an organisation's or an
-- initiative's page sort every one of its rows (15-40 ms for 10,000-60,000 responses).
-- An index a bulk load deferred (bulk.rs) is built here instead, as it now is.
DELETE FROM deferred_indexes
    WHERE name IN ('feedback_by_org_date', 'feedback_by_publication_date', 'position_items_shown', 'org_meetings_by_date');
DROP INDEX IF EXISTS feedback_by_org_date;
CREATE INDEX feedback_by_org_date ON feedback (org_key, date DESC NULLS LAST, id);
DROP INDEX IF EXISTS feedback_by_publication_date;
CREATE INDEX feedback_by_publication_date ON feedback (publication_id, date DESC NULLS LAST, id DESC);
DROP INDEX IF EXISTS position_items_shown;
CREATE INDEX position_items_shown ON position_items (org_key, date DESC NULLS LAST, id) WHERE shown = 1;
DROP INDEX IF EXISTS org_meetings_by_date;
CREATE INDEX org_meetings_by_date ON org_meetings (org_key, date DESC NULLS LAST, meeting_id, institution);
