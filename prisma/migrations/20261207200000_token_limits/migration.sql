-- Issue 17: a limit on active tokens per subject, per API client (lib/tokens/token-limit.ts).
-- NULL: no limit (the default). Issuing past the limit revokes the subject's oldest active tokens
-- of that client with reason 'token_limit', in the issuing transaction.
ALTER TABLE "tim"."api_clients" ADD COLUMN "active_token_limit" INTEGER;
ALTER TABLE "tim"."api_clients" ADD CONSTRAINT "api_clients_active_token_limit_check"
  CHECK ("active_token_limit" IS NULL OR "active_token_limit" BETWEEN 1 AND 1000);
