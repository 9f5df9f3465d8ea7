-- Where a revocation or extension came from: the request id and the caller's address, kept on its denylist
-- row so that the audit fold (lib/audit/fold-token-changes.ts) can name them in the events it writes for
-- the hot paths that write no audit row themselves. Null for rows written before, and where unknown.
-- Both go with the row (it is deleted once its token has expired), as the tokens' own addresses do.
ALTER TABLE custom.denylist ADD COLUMN request_id text, ADD COLUMN source_address inet;
ALTER TABLE tara.denylist ADD COLUMN request_id text, ADD COLUMN source_address inet;
