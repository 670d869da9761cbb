-- Every change the console makes to a bank, branch or outlet (SPEC §10): who, when, the record before and
-- after (as JSON, so a column added later does not rewrite history).
CREATE TABLE reference_changes (
    -- The order changes were made in, when two share a millisecond.
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_ms BIGINT NOT NULL
);
CREATE INDEX reference_changes_record ON reference_changes (kind, code, changed_ms);
-- Counting the cards still to be collected at a branch before it stops taking pickups: only live orders.
CREATE INDEX applications_branch_pending ON applications (branch)
    WHERE state IN ('submitted', 'sent_to_bank', 'in_production', 'produced', 'ready_for_pickup');
CREATE INDEX replacement_orders_branch_pending ON replacement_orders (branch)
    WHERE state IN ('ordered', 'sent_to_bank', 'in_production', 'produced', 'ready_for_pickup');
