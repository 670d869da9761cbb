-- Cards (SPEC §7.1): created when the bank reports one produced, in the same transaction as the report.
CREATE TABLE cards (
    number TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    bank TEXT NOT NULL,
    branch TEXT,
    masked_account TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications(id),
    social_security TEXT NOT NULL,
    financial TEXT NOT NULL
);
CREATE INDEX cards_holder ON cards (holder_id);
