-- A number every committed change to the data increases, so that readers (the site's page
-- cache) can tell cheaply whether anything changed since they last looked.
CREATE TABLE data_generation (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL
);
INSERT INTO data_generation (id, generation) VALUES (1, 0);
