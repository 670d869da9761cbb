-- Every change of a setting the console makes (opening dates, the campaign period): who, when, before, after.
CREATE TABLE setting_changes (
    -- The order changes were made in, when two share a millisecond.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    previous TEXT,
    value TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_ms BIGINT NOT NULL
);
CREATE INDEX setting_changes_key ON setting_changes (key, changed_ms);
