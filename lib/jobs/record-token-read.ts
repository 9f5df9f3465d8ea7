import type { TokenRead } from "@/lib/jobs/events";
import type { TokenKind } from "@/lib/tokens/kinds";
import { config } from "@/lib/config/env";
import { emit } from "@/lib/jobs/send";

export type TokenReadInput = {
  endpoint: string;
  actor: string | null;
  actorKind: TokenRead["actor_kind"];
  tokenType: TokenKind | null;
  jwtUuid: string | null;
  result: string;
  requestId?: string | null;
  at?: Date;
};

/**
 * Called by validation and introspection with the outcome of each read;
 * returns at once. Does nothing unless TIM_AUDIT_READS=true.
 */
export function recordTokenRead(read: TokenReadInput): void {
  if (!config().TIM_AUDIT_READS) return;
  emit({
    name: "tim/token.read",
    data: {
      at: (read.at ?? new Date()).toISOString(),
      endpoint: read.endpoint,
      actor: read.actor,
      actor_kind: read.actorKind,
      token_type: read.tokenType,
      jwt_uuid: read.jwtUuid,
      result: read.result,
      request_id: read.requestId ?? null,
    },
  });
}
