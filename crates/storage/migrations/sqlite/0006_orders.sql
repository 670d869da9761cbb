-- Production orders (SPEC §8): one per submission, for the application's bank, written in the same
-- transaction as the submission; the bank pulls them and reports on each.
CREATE TABLE production_orders (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    bank TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    pulled_ms BIGINT,
    card_number TEXT,
    masked_account TEXT,
    tracking_number TEXT,
    reject_reason TEXT,
    -- Set when a resubmission replaced this order with a newer one.
    superseded INTEGER NOT NULL DEFAULT 0
);
-- What a bank pulls next.
CREATE INDEX production_orders_new ON production_orders (bank, created_ms, id) WHERE pulled_ms IS NULL;
CREATE INDEX production_orders_application ON production_orders (application_id, created_ms);
