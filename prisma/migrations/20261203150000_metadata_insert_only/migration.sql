-- Metadata rows are insert-only (seed 004: extension-chain records "cannot be
-- modified"). Usage counters, the one thing that changed on them, move to a
-- table of their own per kind, updated in place (lib/jobs/token-usage.ts);
-- a trigger then refuses every UPDATE of a metadata row. DELETE stays allowed:
-- retention deletes rows after archiving them (lib/retention/archive-expired.ts),
-- and a token's usage row goes with its metadata row (ON DELETE CASCADE).

CREATE TABLE custom.token_usage (
  jwt_uuid     uuid        PRIMARY KEY REFERENCES custom.jwt_metadata (jwt_uuid) ON DELETE CASCADE,
  use_count    integer     NOT NULL,
  last_used_at timestamptz NOT NULL
);
CREATE TABLE tara.token_usage (
  jwt_uuid     uuid        PRIMARY KEY REFERENCES tara.jwt_metadata (jwt_uuid) ON DELETE CASCADE,
  use_count    integer     NOT NULL,
  last_used_at timestamptz NOT NULL
);

-- Existing counts move; a token never used has no usage row.
INSERT INTO custom.token_usage (jwt_uuid, use_count, last_used_at)
  SELECT jwt_uuid, use_count, last_used_at FROM custom.jwt_metadata WHERE last_used_at IS NOT NULL;
INSERT INTO tara.token_usage (jwt_uuid, use_count, last_used_at)
  SELECT jwt_uuid, use_count, last_used_at FROM tara.jwt_metadata WHERE last_used_at IS NOT NULL;

ALTER TABLE custom.jwt_metadata DROP COLUMN use_count, DROP COLUMN last_used_at;
ALTER TABLE tara.jwt_metadata DROP COLUMN use_count, DROP COLUMN last_used_at;

-- Kept free for the in-place counter updates (20261201200000); nothing updates these rows now.
ALTER TABLE custom.jwt_metadata RESET (fillfactor);
ALTER TABLE tara.jwt_metadata RESET (fillfactor);

CREATE FUNCTION tim.metadata_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%.% is insert-only: UPDATE refused', TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER jwt_metadata_insert_only BEFORE UPDATE ON custom.jwt_metadata
  FOR EACH ROW EXECUTE FUNCTION tim.metadata_refuse_update();
CREATE TRIGGER jwt_metadata_insert_only BEFORE UPDATE ON tara.jwt_metadata
  FOR EACH ROW EXECUTE FUNCTION tim.metadata_refuse_update();
