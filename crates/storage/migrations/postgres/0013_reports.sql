-- The console's reports (SPEC §10) read submitted applications by day.
CREATE INDEX applications_submitted ON applications (submitted_ms) WHERE submitted_ms IS NOT NULL;
