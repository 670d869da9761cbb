-- Accounts, sessions, one-time secrets, abuse counters, the SMS outbox and the audit log (SPEC §2, §3, §9).
-- Times are epoch milliseconds (BIGINT) on both engines: one codec, and correct ordering in SQLite too.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    entity_uscc TEXT REFERENCES entities(uscc),
    bank TEXT REFERENCES banks(code),
    branch TEXT REFERENCES branches(code),
    outlet TEXT REFERENCES outlets(code),
    district TEXT,
    username TEXT UNIQUE,
    mobile TEXT UNIQUE,
    id_number TEXT UNIQUE,
    real_name TEXT,
    real_name_ms BIGINT,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_ms BIGINT NOT NULL
);
CREATE INDEX accounts_entity ON accounts (entity_uscc);

CREATE TABLE external_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);

CREATE TABLE api_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    client_id TEXT,
    csrf TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    revoked_ms BIGINT,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    bound_to TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    used_ms BIGINT
);
CREATE INDEX challenges_bound ON challenges (kind, bound_to, created_ms);

CREATE TABLE oidc_flows (
    state TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    bound_to TEXT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_ms BIGINT
);

CREATE TABLE rate_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX rate_events_bucket ON rate_events (bucket, at_ms);

CREATE TABLE sms_outbox (
    id TEXT PRIMARY KEY,
    mobile TEXT NOT NULL,
    body TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_ms BIGINT NOT NULL,
    sent_ms BIGINT,
    last_error TEXT
);
CREATE INDEX sms_outbox_due ON sms_outbox (due_ms) WHERE sent_ms IS NULL;

CREATE TABLE audit_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT,
    role TEXT,
    channel TEXT NOT NULL,
    organisation TEXT,
    action TEXT NOT NULL,
    record TEXT,
    subject_person TEXT,
    purpose TEXT,
    outcome TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX audit_log_subject ON audit_log (subject_person, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);

-- Append-only, enforced by the database itself: even a direct UPDATE, DELETE or TRUNCATE fails.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
