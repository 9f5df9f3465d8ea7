-- Token search by prefix and by contained text (issue 19 §2), for subject and JWT name:
--  * prefix (`subject_match=prefix`: LIKE 'abc%', case-sensitive) needs a btree whose order is the
--    bytes' order whatever the database's collation: text_pattern_ops. The subject and name indexes
--    are rebuilt with it; they still serve equality (and subject = … ORDER BY issued_at DESC) as before,
--    so no index is added for it.
--  * contains (`subject_match=contains`: ILIKE '%abc%', case-insensitive, 3 characters at least)
--    uses pg_trgm's GIN trigram index. pg_trgm ships with PostgreSQL's contrib (a trusted extension:
--    the database owner may create it) and with PGlite (@electric-sql/pglite/contrib/pg_trgm, which
--    TIM loads when it opens PGlite: lib/db/pglite-extensions.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

DROP INDEX custom.idx_custom_jwt_metadata_subject;
CREATE INDEX idx_custom_jwt_metadata_subject ON custom.jwt_metadata (subject text_pattern_ops, issued_at DESC);
DROP INDEX tara.idx_tara_jwt_metadata_subject;
CREATE INDEX idx_tara_jwt_metadata_subject ON tara.jwt_metadata (subject text_pattern_ops, issued_at DESC);
DROP INDEX custom.idx_custom_jwt_metadata_name;
CREATE INDEX idx_custom_jwt_metadata_name ON custom.jwt_metadata (jwt_name text_pattern_ops);
-- TARA rows had no name index (their name is TIM_TARA_JWT): a search by name over both kinds read the whole
-- TARA table to find nothing. A TARA row is written once per login, so an index costs little there.
CREATE INDEX idx_tara_jwt_metadata_name ON tara.jwt_metadata (jwt_name text_pattern_ops);

CREATE INDEX idx_custom_jwt_metadata_subject_trgm ON custom.jwt_metadata USING gin (subject gin_trgm_ops);
CREATE INDEX idx_tara_jwt_metadata_subject_trgm ON tara.jwt_metadata USING gin (subject gin_trgm_ops);
CREATE INDEX idx_custom_jwt_metadata_name_trgm ON custom.jwt_metadata USING gin (jwt_name gin_trgm_ops);
CREATE INDEX idx_tara_jwt_metadata_name_trgm ON tara.jwt_metadata USING gin (jwt_name gin_trgm_ops);
