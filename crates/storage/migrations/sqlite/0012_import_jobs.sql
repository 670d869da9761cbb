-- Imports run as background jobs from the bureau's console (SPEC §10): progress as they go, every rejected row
-- kept for the row report, at most one running job of a kind across every instance.
CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    -- The admin account that uploaded the file.
    started_by TEXT NOT NULL,
    -- running, finished, failed, abandoned (its instance stopped beating).
    state TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    failure TEXT,
    started_ms BIGINT NOT NULL,
    heartbeat_ms BIGINT NOT NULL,
    finished_ms BIGINT
);
-- Two imports of one kind at once are refused by the database itself, whichever instance takes them.
CREATE UNIQUE INDEX import_jobs_one_running ON import_jobs (kind) WHERE state = 'running';
CREATE INDEX import_jobs_started ON import_jobs (started_ms);

CREATE TABLE import_rejections (
    job_id TEXT NOT NULL REFERENCES import_jobs(id),
    row_number BIGINT NOT NULL,
    column_name TEXT,
    reason TEXT NOT NULL,
    PRIMARY KEY (job_id, row_number)
);
