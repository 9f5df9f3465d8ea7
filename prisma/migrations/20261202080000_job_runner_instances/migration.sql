-- The in-process runner on several instances on one database.
-- A cron tick's run carries the time it was scheduled for: the first instance
-- to insert (function, tick) wins, the others' inserts do nothing.
ALTER TABLE tim.job_executions ADD COLUMN scheduled_for timestamptz;
CREATE UNIQUE INDEX idx_job_executions_tick ON tim.job_executions (function_id, scheduled_for);

-- The process executing a run (or, for job_runs, running a CLI job) holds a
-- session-level advisory lock on owner_key for as long as it lives; a running
-- row whose owner's lock is free belongs to a dead process. owner_name
-- (host:pid) tells an operator which instance it is.
ALTER TABLE tim.job_executions ADD COLUMN owner_key bigint, ADD COLUMN owner_name text;
ALTER TABLE tim.job_runs ADD COLUMN owner_key bigint, ADD COLUMN owner_name text;
CREATE INDEX idx_job_executions_running ON tim.job_executions (owner_key) WHERE status = 'running';
CREATE INDEX idx_job_runs_owned ON tim.job_runs (owner_key) WHERE status = 'running' AND owner_key IS NOT NULL;
