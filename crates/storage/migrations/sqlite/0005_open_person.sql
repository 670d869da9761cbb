-- One open application per person: a unique index on a column that holds the person's ID number while the
-- application is open and NULL once it is closed (the same shape as on PostgreSQL).
ALTER TABLE applications ADD COLUMN open_person TEXT;
UPDATE applications SET open_person = person_id WHERE state NOT IN ('collected', 'withdrawn');
DROP INDEX applications_one_open;
CREATE UNIQUE INDEX applications_one_open ON applications (open_person);
