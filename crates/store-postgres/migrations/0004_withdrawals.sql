-- Records a complete listing of their source no longer holds: kept, and marked "no longer
-- published since" the day of the sync that found them gone (Store::mark_listing). A record
-- listed again loses its mark. kind: 'meeting' (record: the meeting's id), 'response',
-- 'initiative' (their ids), 'registration' (a register ID).
CREATE TABLE withdrawals (
    kind    TEXT COLLATE "C" NOT NULL,
    record  TEXT COLLATE "C" NOT NULL,
    since   TEXT COLLATE "C" NOT NULL,  -- YYYY-MM-DD
    PRIMARY KEY (kind, record)
);
