import type { ApiCaller } from "@/lib/clients/scopes";
import { recordTokenRead } from "@/lib/jobs/record-token-read";
import { recordTokenUse } from "@/lib/jobs/record-token-use";
import type { TokenKind } from "@/lib/tokens/kinds";

export type TokenReadOutcome = {
  /** The token was accepted (valid / active): its usage counters grow. */
  accepted: boolean;
  kind: TokenKind | null;
  jti: string | null;
  /** What the caller was told: "valid", "active", or the reason it was not. */
  result: string;
};

/**
 * After a validation or introspection: usage of an accepted token and the
 * read-audit event (TIM_AUDIT_READS) are handed to the background jobs.
 * Both return at once; the answer never waits on them.
 */
export function recordRead(endpoint: string, caller: ApiCaller, requestId: string, outcome: TokenReadOutcome): void {
  if (outcome.accepted && outcome.kind && outcome.jti) recordTokenUse(outcome.kind, outcome.jti);
  recordTokenRead({
    endpoint,
    actor: caller.clientId,
    actorKind: caller.clientId ? "api_client" : "anonymous",
    tokenType: outcome.kind,
    jwtUuid: outcome.accepted ? outcome.jti : null,
    result: outcome.result,
    requestId,
  });
}
