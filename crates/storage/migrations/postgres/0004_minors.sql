-- Applications for a child (SPEC §5.3): the guardian, the fixed relationship and the child's ID answers.
ALTER TABLE applications ADD COLUMN guardian_id TEXT;
ALTER TABLE applications ADD COLUMN relationship TEXT;
ALTER TABLE applications ADD COLUMN child_id_type TEXT;
ALTER TABLE applications ADD COLUMN child_id_valid_from DATE;
ALTER TABLE applications ADD COLUMN child_id_valid_until DATE;
ALTER TABLE applications ADD COLUMN guardian_is_householder BOOLEAN;
ALTER TABLE applications ADD COLUMN same_booklet BOOLEAN;
ALTER TABLE applications ADD COLUMN cartoon_photo BOOLEAN NOT NULL DEFAULT FALSE;
-- A minor's application always names its guardian, relationship and ID type; no other route does.
ALTER TABLE applications ADD CONSTRAINT applications_minor_details CHECK (
    (route = 'minor') = (guardian_id IS NOT NULL AND relationship IS NOT NULL AND child_id_type IS NOT NULL));
