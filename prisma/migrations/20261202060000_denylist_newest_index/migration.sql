-- The denylist listener loads the newest unexpired revocations (ORDER BY denylisted_at DESC LIMIT bound):
-- a backward scan of this index instead of a top-N sort of every row.
CREATE INDEX "denylist_denylisted_at_idx" ON "custom"."denylist" ("denylisted_at");
CREATE INDEX "denylist_denylisted_at_idx" ON "tara"."denylist" ("denylisted_at");
