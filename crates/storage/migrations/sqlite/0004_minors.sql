-- Applications for a child (SPEC §5.3): the guardian, the fixed relationship and the child's ID answers.
-- SQLite cannot add a CHECK constraint to an existing table; the application layer keeps the invariant.
ALTER TABLE applications ADD COLUMN guardian_id TEXT;
ALTER TABLE applications ADD COLUMN relationship TEXT;
ALTER TABLE applications ADD COLUMN child_id_type TEXT;
ALTER TABLE applications ADD COLUMN child_id_valid_from TEXT;
ALTER TABLE applications ADD COLUMN child_id_valid_until TEXT;
ALTER TABLE applications ADD COLUMN guardian_is_householder INTEGER;
ALTER TABLE applications ADD COLUMN same_booklet INTEGER;
ALTER TABLE applications ADD COLUMN cartoon_photo INTEGER NOT NULL DEFAULT 0;
