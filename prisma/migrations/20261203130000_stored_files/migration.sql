-- Files TIM writes for later download (background exports, archive-purge
-- exports), kept in the database so every instance reads and continues them.
-- A writer appends chunks and moves its watermark in one transaction, so a
-- run resumed anywhere continues exactly after the last committed chunk.
CREATE TABLE tim.files (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  run_id        uuid REFERENCES tim.job_runs (id) ON DELETE CASCADE,
  name          text NOT NULL,
  content_type  text NOT NULL,
  size          bigint NOT NULL DEFAULT 0,
  chunks        integer NOT NULL DEFAULT 0,
  -- the writer's position (e.g. an export's keyset), opaque to the store
  watermark     jsonb,
  sha256        text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  expires_at    timestamptz NOT NULL,
  CONSTRAINT files_run_name UNIQUE (run_id, name)
);
CREATE INDEX idx_files_expires ON tim.files (expires_at);

CREATE TABLE tim.file_chunks (
  file_id  uuid NOT NULL REFERENCES tim.files (id) ON DELETE CASCADE,
  seq      integer NOT NULL,
  data     bytea NOT NULL,
  PRIMARY KEY (file_id, seq)
);
