-- The console's daily counts (SPEC §10) read a period of each table by time: without these they would read
-- every row ever written.
CREATE INDEX application_events_event_at ON application_events (event, at_ms);
CREATE INDEX card_transitions_at ON card_transitions (at_ms);
CREATE INDEX replacement_orders_created ON replacement_orders (created_ms);
CREATE INDEX sms_outbox_created ON sms_outbox (created_ms);
