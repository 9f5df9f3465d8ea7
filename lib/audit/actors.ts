import type { ApiCaller } from "@/lib/clients/scopes";
import type { AuditEvent } from "@/lib/audit/event";

export type AuditActor = AuditEvent["actor"];

/** The audit actor for a token-API or reporting-API caller (anonymous when TIM_API_AUTH=off). */
export function apiCallerActor(caller: ApiCaller): AuditActor {
  return caller.clientId ? { type: "api_client", id: caller.clientId } : { type: "anonymous", id: "anonymous" };
}

/** The audit actor for a console administrator, by personal code (TARA subject). */
export function administratorActor(subject: string): AuditActor {
  return { type: "administrator", id: subject };
}
