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

/**
 * The audit actor of a change recorded by a `revoked_by` label (`client:<id>`,
 * `user:<subject>`, `admin:<subject>`, `anonymous`; see lib/tokens/revoke.ts).
 * Anything else (or nothing) is a system job, named by the label.
 */
export function revokedByActor(revokedBy: string | null): AuditActor {
  const [prefix, ...rest] = (revokedBy ?? "").split(":");
  const id = rest.join(":");
  if (prefix === "client" && id) return { type: "api_client", id };
  if (prefix === "user" && id) return { type: "end_user", id };
  if (prefix === "admin" && id) return { type: "administrator", id };
  if (revokedBy === "anonymous") return { type: "anonymous", id: "anonymous" };
  return { type: "system_job", id: revokedBy || "unknown" };
}
