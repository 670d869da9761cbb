-- Employer collective application (SPEC §6): the entity's settings, the branches it allows, every change
-- to them (the audit trail), and the employer an application belongs to.
CREATE TABLE collective_settings (
    uscc TEXT PRIMARY KEY REFERENCES entities(uscc),
    is_open BOOLEAN NOT NULL,
    entity_collects BOOLEAN NOT NULL,
    contact_name TEXT NOT NULL,
    contact_mobile TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES accounts(id)
);

CREATE TABLE collective_branches (
    uscc TEXT NOT NULL REFERENCES collective_settings(uscc),
    bank TEXT NOT NULL,
    branch TEXT NOT NULL REFERENCES branches(code),
    PRIMARY KEY (uscc, bank, branch)
);

-- Each change as it stood after the change: append-only.
CREATE TABLE collective_settings_history (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uscc TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE INDEX collective_settings_history_uscc ON collective_settings_history (uscc, seq);

ALTER TABLE applications ADD COLUMN employer_uscc TEXT;
ALTER TABLE applications ADD CONSTRAINT applications_collective_has_employer
    CHECK ((route = 'collective') = (employer_uscc IS NOT NULL));
-- The handler's list walks an entity's employees in ID-number order, on both sides of the join.
CREATE INDEX applications_employer ON applications (employer_uscc, person_id, created_ms) WHERE employer_uscc IS NOT NULL;
DROP INDEX registry_persons_employer;
CREATE INDEX registry_persons_employer ON registry_persons (employer_uscc, id_number) WHERE employer_uscc IS NOT NULL;
