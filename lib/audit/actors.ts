import type { ApiCaller } from "@/lib/clients/scopes";
import type { AuditEvent } from "@/lib/audit/event";

export type AuditActor = AuditEvent["actor"];

/** An actor and, when known, where it acted from (recorded as the row's source_address). */
const withAddress = (actor: AuditActor, address: string | undefined): AuditActor => (address ? { ...actor, address } : actor);

/** The audit actor for a token-API or reporting-API caller (anonymous when TIM_API_AUTH=off). */
export function apiCallerActor(caller: ApiCaller, address?: string): AuditActor {
  return withAddress(caller.clientId ? { type: "api_client", id: caller.clientId } : { type: "anonymous", id: "anonymous" }, address);
}

/** The audit actor for a console administrator, by personal code (TARA subject). */
export function administratorActor(subject: string, address?: string): AuditActor {
  return withAddress({ type: "administrator", id: subject }, address);
}

/** The audit actor for a person signed in to TIM's pages (an administrator or an end user). */
export function personActor(subject: string, admin: boolean, address?: string): AuditActor {
  return withAddress({ type: admin ? "administrator" : "end_user", id: subject }, address);
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
