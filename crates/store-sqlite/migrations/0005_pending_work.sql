-- Work a committed import still owes, kept in the database so that a process killed after a
-- file's commit leaves it to the next command instead of losing it.
--
-- relink: 1 when a committed file changed the register and no full linking pass has run since.
-- Set in that file's transaction, cleared in the linking pass's transaction.
CREATE TABLE pending_work (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    relink  INTEGER NOT NULL
);
-- A store filled before this table existed may have lost a linking pass that way, so one that
-- holds register entries is relinked once.
INSERT INTO pending_work (id, relink) VALUES (1, (SELECT count(*) > 0 FROM (SELECT 1 FROM register_entries LIMIT 1)));
