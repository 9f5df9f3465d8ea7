-- Tokens imported from TIM 2.0 (`npm run import:tim2`, lib/migration-tim2/).
-- TIM 2.0 never stored a token's claims or the hash of the token itself, so an
-- imported metadata row has neither: claims_json and token_hash become nullable,
-- and `imported_from` names where such a row came from ('tim2'). Only an
-- imported row may lack them (the CHECK); every row TIM writes still has both.
-- Readers show the marker (search, reports, export, console) and treat a
-- missing claims_json as "not recorded", never as "no claims". The archive
-- keeps the same columns, so retention moves imported rows as any other.

ALTER TABLE custom.jwt_metadata
  ALTER COLUMN claims_json DROP NOT NULL,
  ALTER COLUMN token_hash DROP NOT NULL,
  ADD COLUMN imported_from text,
  ADD CONSTRAINT jwt_metadata_recorded_check CHECK (imported_from IS NOT NULL OR (claims_json IS NOT NULL AND token_hash IS NOT NULL));
ALTER TABLE tara.jwt_metadata
  ALTER COLUMN claims_json DROP NOT NULL,
  ALTER COLUMN token_hash DROP NOT NULL,
  ADD COLUMN imported_from text,
  ADD CONSTRAINT tara_jwt_metadata_recorded_check CHECK (imported_from IS NOT NULL OR (claims_json IS NOT NULL AND token_hash IS NOT NULL));

ALTER TABLE custom.jwt_metadata_archive
  ALTER COLUMN claims_json DROP NOT NULL,
  ALTER COLUMN token_hash DROP NOT NULL,
  ADD COLUMN imported_from text;
ALTER TABLE tara.jwt_metadata_archive
  ALTER COLUMN claims_json DROP NOT NULL,
  ALTER COLUMN token_hash DROP NOT NULL,
  ADD COLUMN imported_from text;

-- Progress of an import run that has not finished, per source table (`phase`):
-- the next run continues after `last_key` (keyset order of the source table),
-- and `counts` carries what the interrupted run did into the summary and audit
-- entry of the run that finishes. A finished run removes its rows.
CREATE TABLE tim.tim2_import_progress (
  source     text        NOT NULL,
  phase      text        NOT NULL,
  last_key   text        NOT NULL,
  counts     jsonb       NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, phase)
);
