-- Indexes a bulk load stopped maintaining (lobbyscope-store `Store::begin_bulk_load`), with the
-- statement that builds each again. Dropped and noted in one transaction, built and removed
-- from here one by one at the load's end (`Store::end_bulk_load`): a process killed in between
-- leaves them to the next run, which builds them at its end.
CREATE TABLE deferred_indexes (
    name  TEXT PRIMARY KEY,
    sql   TEXT NOT NULL
) WITHOUT ROWID;

-- agg_log gains a kind, 'c': an organisation a replaced record pointed at, which the fold
-- removes when nothing points at it any more (stats::settle).
