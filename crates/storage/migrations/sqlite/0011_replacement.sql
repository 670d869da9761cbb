-- The card's life, part 2 (SPEC §7.2, §8): replacement cards and their production orders, the flag a registry
-- change of a printed field sets, and the working-day calendar as data loaded per year.
ALTER TABLE cards ADD COLUMN replaces TEXT;
ALTER TABLE cards ADD COLUMN replaced_by TEXT;
-- Set when a replacement is asked for: from then on the card is never released (Q21).
ALTER TABLE cards ADD COLUMN replacement_order TEXT;
-- The printed fields changed in the registry, comma-separated (NULL: none).
ALTER TABLE cards ADD COLUMN replacement_required TEXT;

-- A replacement card's production order: its own kind of order in the bank interface, due in 4 working days.
CREATE TABLE replacement_orders (
    id TEXT PRIMARY KEY,
    card_number TEXT NOT NULL REFERENCES cards(number),
    holder_id TEXT NOT NULL,
    -- The replaced card's application: the photo and form the bank prints from.
    application_id TEXT NOT NULL REFERENCES applications(id),
    bank TEXT NOT NULL,
    -- Where the new card is collected (the branch that took the request, or the card's own).
    branch TEXT NOT NULL,
    cause TEXT NOT NULL,
    state TEXT NOT NULL,
    instant BOOLEAN NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    due_on DATE NOT NULL,
    -- Counted past the loaded calendar (weekends only): recomputed when the year is loaded.
    due_provisional BOOLEAN NOT NULL,
    pulled_ms BIGINT,
    lease_ms BIGINT,
    acked_ms BIGINT,
    pulled_by TEXT,
    pull_key TEXT,
    new_card TEXT,
    masked_account TEXT,
    tracking_number TEXT,
    reject_reason TEXT
);
CREATE INDEX replacement_orders_new ON replacement_orders (bank, created_ms, id) WHERE pulled_ms IS NULL;
CREATE INDEX replacement_orders_leased ON replacement_orders (bank, lease_ms, id)
    WHERE pulled_ms IS NOT NULL AND acked_ms IS NULL;
CREATE INDEX replacement_orders_open ON replacement_orders (due_on)
    WHERE state IN ('ordered', 'sent_to_bank', 'in_production');
CREATE INDEX replacement_orders_card ON replacement_orders (card_number);

-- The working-day calendar (SPEC §7.3): the exception days of each loaded year.
CREATE TABLE calendar_days (
    day DATE PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL
);
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY,
    loaded_ms BIGINT NOT NULL,
    loaded_by TEXT NOT NULL
);
