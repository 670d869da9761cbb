-- Opening day (issue 14).
-- A bank's pull leases its orders: an order not acknowledged (its accepted or rejected report, or an explicit
-- ack) before its lease ends goes back to the bank's queue. A pull repeated with the same key answers the
-- same orders.
ALTER TABLE production_orders ADD COLUMN lease_ms BIGINT;
ALTER TABLE production_orders ADD COLUMN acked_ms BIGINT;
ALTER TABLE production_orders ADD COLUMN pulled_by TEXT;
ALTER TABLE production_orders ADD COLUMN pull_key TEXT;
-- Orders pulled before leases existed: those the bank reported on are acknowledged; the others (pulled, never
-- heard of again: perhaps lost on the way) go back to the queue at once.
UPDATE production_orders SET acked_ms = pulled_ms
    WHERE pulled_ms IS NOT NULL
      AND application_id IN (SELECT id FROM applications WHERE state <> 'sent_to_bank');
UPDATE production_orders SET lease_ms = pulled_ms WHERE pulled_ms IS NOT NULL AND acked_ms IS NULL;
CREATE INDEX production_orders_leased ON production_orders (bank, lease_ms)
    WHERE pulled_ms IS NOT NULL AND acked_ms IS NULL;
CREATE INDEX production_orders_pull_key ON production_orders (pulled_by, pull_key) WHERE pull_key IS NOT NULL;

-- The first answer to a request sent with an Idempotency-Key, replayed to a retry with the same key (an
-- entity's batch submission). Written in the transaction of the change it reports.
CREATE TABLE idempotent_replies (
    scope TEXT NOT NULL,
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    reply TEXT NOT NULL,
    PRIMARY KEY (scope, actor, key)
);
CREATE INDEX idempotent_replies_created ON idempotent_replies (created_ms);

-- Housekeeping deletes by age: each table it prunes is read by time.
-- (sessions are pruned by a scan: an index on expiry would cost every login a write for a 10-minute job)
CREATE INDEX challenges_expires ON challenges (expires_ms);
CREATE INDEX oidc_flows_expires ON oidc_flows (expires_ms);
CREATE INDEX rate_events_at ON rate_events (at_ms);
