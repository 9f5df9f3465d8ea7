-- Audit trail: one row per state change (who, what, target, why, how many,
-- request, when). Insert-only: a trigger refuses UPDATE, DELETE and TRUNCATE.
-- Each row carries hash = SHA-256(prev_hash || canonical content), computed by
-- lib/audit/record.ts under an advisory lock, so `npm run audit:verify` can
-- prove that no row was altered or removed.

CREATE TABLE tim.audit (
  seq        bigserial   PRIMARY KEY,
  id         uuid        NOT NULL DEFAULT gen_random_uuid(),
  at         timestamptz NOT NULL,
  actor_type text        NOT NULL,
  actor_id   text        NOT NULL,
  action     text        NOT NULL,
  -- {"jwt_uuids": [...]} or {"query": {...}} or another object naming what changed
  target     jsonb       NOT NULL DEFAULT '{}',
  reason     text,
  counts     jsonb       NOT NULL DEFAULT '{}',
  request_id text,
  prev_hash  char(64)    NOT NULL,
  hash       char(64)    NOT NULL,
  CONSTRAINT audit_id_key UNIQUE (id),
  CONSTRAINT audit_hash_key UNIQUE (hash),
  -- a fork (two rows after the same predecessor) is refused by the database
  CONSTRAINT audit_prev_hash_key UNIQUE (prev_hash),
  CONSTRAINT audit_actor_type_check CHECK (actor_type IN ('api_client', 'administrator', 'system_job', 'end_user', 'anonymous'))
);
CREATE INDEX idx_audit_at ON tim.audit (at DESC, seq DESC);
CREATE INDEX idx_audit_actor ON tim.audit (actor_id, seq DESC);
CREATE INDEX idx_audit_action ON tim.audit (action, seq DESC);
CREATE INDEX idx_audit_target ON tim.audit USING gin (target jsonb_path_ops);

CREATE FUNCTION tim.audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'tim.audit is insert-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_insert_only
  BEFORE UPDATE OR DELETE ON tim.audit
  FOR EACH ROW EXECUTE FUNCTION tim.audit_refuse_change();

CREATE TRIGGER audit_no_truncate
  BEFORE TRUNCATE ON tim.audit
  FOR EACH STATEMENT EXECUTE FUNCTION tim.audit_refuse_change();
