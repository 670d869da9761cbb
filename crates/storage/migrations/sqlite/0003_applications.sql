-- Applications (SPEC §5): the record, its documents, its events, and the consents given along the way.
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    person_id TEXT NOT NULL,
    applicant TEXT NOT NULL REFERENCES accounts(id),
    route TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    ethnicity TEXT,
    occupation TEXT,
    residence_district TEXT,
    residence_address TEXT,
    mobile TEXT,
    bank TEXT,
    branch TEXT,
    collection TEXT,
    mail_recipient TEXT,
    mail_mobile TEXT,
    mail_district TEXT,
    mail_postal_code TEXT,
    mail_address TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    submitted_ms BIGINT,
    due_on TEXT,
    submit_key TEXT
);
-- At most one open application per person, whatever the channel: the database decides a race.
CREATE UNIQUE INDEX applications_one_open ON applications (person_id) WHERE state NOT IN ('collected', 'withdrawn');
CREATE INDEX applications_applicant ON applications (applicant, created_ms);
CREATE INDEX applications_person ON applications (person_id);

CREATE TABLE application_documents (
    application_id TEXT NOT NULL REFERENCES applications(id),
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    media_type TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    uploaded_ms BIGINT NOT NULL,
    PRIMARY KEY (application_id, kind)
);
CREATE INDEX application_documents_hash ON application_documents (hash);

CREATE TABLE application_events (
    seq INTEGER PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    at_ms BIGINT NOT NULL,
    event TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    note TEXT
);
CREATE INDEX application_events_application ON application_events (application_id, seq);

CREATE TABLE consents (
    seq INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    person_id TEXT NOT NULL,
    application_id TEXT REFERENCES applications(id),
    kind TEXT NOT NULL,
    text_version TEXT NOT NULL,
    channel TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX consents_application ON consents (application_id);
CREATE INDEX consents_account ON consents (account_id, kind, at_ms);
