-- Folding job (lib/audit/fold-token-changes.ts): single revocations and
-- extensions through the token API and TARA logouts are one-statement hot
-- paths that do not write tim.audit themselves; a job appends one audit event
-- per change later. The watermark says up to which change time (exclusive)
-- everything has been folded; the job advances it in the transaction that
-- appends the events, so each change is audited exactly once.
CREATE TABLE tim.audit_fold_watermark (
  name       text        PRIMARY KEY,
  folded_to  timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Changes made before this migration were not audited as they happened and are not folded either.
INSERT INTO tim.audit_fold_watermark (name, folded_to) VALUES ('token_changes', now());

-- The job finds new extensions by creation time; only extension rows are indexed.
CREATE INDEX idx_custom_jwt_metadata_extension_created ON custom.jwt_metadata (created_at) WHERE supersedes IS NOT NULL;
CREATE INDEX idx_tara_jwt_metadata_extension_created ON tara.jwt_metadata (created_at) WHERE supersedes IS NOT NULL;
