-- The card's life (SPEC §7): the temporary loss's end, transport and park pass, the service password, and the
-- append-only record of every change, written in the transaction of the change itself.
ALTER TABLE cards ADD COLUMN loss_until_ms BIGINT;
ALTER TABLE cards ADD COLUMN transport_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cards ADD COLUMN transport_balance_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cards ADD COLUMN park_pass_year INTEGER;
-- NULL: still the initial value (the last six of the ID number), which must be changed on first use.
ALTER TABLE cards ADD COLUMN password_hash TEXT;
-- Wrong tries across every channel; five lock it until a reset.
ALTER TABLE cards ADD COLUMN password_failures BIGINT NOT NULL DEFAULT 0;
-- The release job finds the due losses by this index alone.
CREATE INDEX cards_loss_due ON cards (loss_until_ms, number) WHERE social_security = 'temp_loss';

CREATE TABLE card_transitions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    card_number TEXT NOT NULL REFERENCES cards(number),
    at_ms BIGINT NOT NULL,
    service TEXT NOT NULL,
    ss_from TEXT NOT NULL,
    ss_to TEXT NOT NULL,
    fin_from TEXT NOT NULL,
    fin_to TEXT NOT NULL,
    reason TEXT NOT NULL,
    reason_text TEXT,
    -- NULL: the system's own change (the release job).
    channel TEXT,
    actor_role TEXT,
    actor TEXT NOT NULL,
    acting TEXT NOT NULL,
    agent_id TEXT,
    place TEXT,
    request_key TEXT
);
CREATE INDEX card_transitions_card ON card_transitions (card_number, seq);
-- The same request twice is one change.
CREATE UNIQUE INDEX card_transitions_key ON card_transitions (card_number, request_key)
    WHERE request_key IS NOT NULL;
CREATE TRIGGER card_transitions_no_update BEFORE UPDATE ON card_transitions
BEGIN
    SELECT RAISE(ABORT, 'card_transitions is append-only');
END;
CREATE TRIGGER card_transitions_no_delete BEFORE DELETE ON card_transitions
BEGIN
    SELECT RAISE(ABORT, 'card_transitions is append-only');
END;

-- A holder's legacy (first- and second-generation) cards whose medical-settlement function ended when their new
-- card was activated (Q24); the registry lists the cards themselves.
CREATE TABLE legacy_medical_ended (
    holder_id TEXT NOT NULL PRIMARY KEY,
    ended_ms BIGINT NOT NULL,
    by_card TEXT NOT NULL REFERENCES cards(number)
);

-- What the issuing bank must hear of: every change to the financial function, pulled and acknowledged like an
-- order (at least once, never lost).
CREATE TABLE card_bank_events (
    id TEXT PRIMARY KEY,
    card_number TEXT NOT NULL REFERENCES cards(number),
    bank TEXT NOT NULL,
    transition_seq BIGINT NOT NULL,
    service TEXT NOT NULL,
    fin_from TEXT NOT NULL,
    fin_to TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    lease_ms BIGINT,
    pulled_by TEXT,
    acked_ms BIGINT
);
CREATE INDEX card_bank_events_queue ON card_bank_events (bank, created_ms) WHERE acked_ms IS NULL;

-- A holder's written authorisation of a proxy (Q37): which services, until which day, the scanned paper.
CREATE TABLE proxy_authorisations (
    id TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL,
    proxy_id TEXT NOT NULL,
    -- Service codes, comma-separated.
    services TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    document_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX proxy_authorisations_proxy ON proxy_authorisations (proxy_id, valid_until);

-- Non-key information changed after issue (Q31); a column left NULL keeps the application's value.
CREATE TABLE card_holder_info (
    card_number TEXT PRIMARY KEY REFERENCES cards(number),
    address TEXT,
    occupation TEXT,
    mobile TEXT,
    updated_ms BIGINT NOT NULL
);
