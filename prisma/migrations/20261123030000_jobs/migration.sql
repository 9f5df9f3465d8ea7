-- Background jobs: the in-process runner's durable queue and executions, an
-- effects ledger for exactly-once side effects across retries, the record of
-- maintenance runs shown in the console, and operator settings.

-- Events accepted for a function and not yet picked up by a run. One row per
-- (event, function it triggers); the in-process runner only.
CREATE TABLE tim.job_queue (
  id          bigserial   PRIMARY KEY,
  function_id text        NOT NULL,
  event       jsonb       NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_job_queue_function ON tim.job_queue (function_id, id);

-- A run of one function over one event or a batch of events, with the
-- results of the steps it has completed so a retry resumes after them.
CREATE TABLE tim.job_executions (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  function_id     text        NOT NULL,
  events          jsonb       NOT NULL,
  status          text        NOT NULL DEFAULT 'queued',
  attempt         integer     NOT NULL DEFAULT 0,
  max_attempts    integer     NOT NULL,
  step_state      jsonb       NOT NULL DEFAULT '{}',
  step_order      text[]      NOT NULL DEFAULT '{}',
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  output          jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  CONSTRAINT job_executions_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed'))
);
CREATE INDEX idx_job_executions_due ON tim.job_executions (status, next_attempt_at);
CREATE INDEX idx_job_executions_finished ON tim.job_executions (finished_at);

-- Keys of side effects already applied (run id + step), written in the same
-- transaction as the effect so a retried step does not apply it twice.
CREATE TABLE tim.job_effects (
  key        text        PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_job_effects_applied ON tim.job_effects (applied_at);

-- Maintenance and bulk job runs (retention, archive purge, export, mass
-- revocation): when, by whom, progress, counts per table, error.
CREATE TABLE tim.job_runs (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  job            text        NOT NULL,
  trigger        text        NOT NULL,
  requested_by   text,
  status         text        NOT NULL DEFAULT 'running',
  params         jsonb       NOT NULL DEFAULT '{}',
  counts         jsonb       NOT NULL DEFAULT '{}',
  progress_done  bigint      NOT NULL DEFAULT 0,
  progress_total bigint,
  result         jsonb,
  error          text,
  started_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  CONSTRAINT job_runs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed'))
);
CREATE INDEX idx_job_runs_job_started ON tim.job_runs (job, started_at DESC);

-- Operator settings edited in the console (e.g. retention days); a row
-- overrides the environment default.
CREATE TABLE tim.settings (
  key        text        PRIMARY KEY,
  value      jsonb       NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);
