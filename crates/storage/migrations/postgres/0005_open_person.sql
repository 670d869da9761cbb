-- One open application per person, decided by a plain unique index on a column that holds the person's ID
-- number while the application is open and NULL once it is closed. The partial index it replaces read
-- `state` in its predicate, so every state change had to rewrite all five indexes (no HOT update); a change
-- between open states now leaves every indexed column as it was, and PostgreSQL can update the row in place.
ALTER TABLE applications ADD COLUMN open_person TEXT;
UPDATE applications SET open_person = person_id WHERE state NOT IN ('collected', 'withdrawn');
DROP INDEX applications_one_open;
CREATE UNIQUE INDEX applications_one_open ON applications (open_person);
-- Room on each page for the in-place (HOT) updates of state changes.
ALTER TABLE applications SET (fillfactor = 80);
