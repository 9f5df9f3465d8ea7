import { createHash, randomUUID } from "node:crypto";
import canonicalize from "canonicalize";
import { z } from "zod";
import { storableJson, storableString } from "@/lib/db/storable";

/** Who changed something: an API client, an administrator, a background job, an end user (or nobody known). */
export const ACTOR_TYPES = ["api_client", "administrator", "system_job", "end_user", "anonymous"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** Who acted, and from where when known; jobs carry it in their parameters to audit in the requester's name. */
export const auditActorSchema = z.object({
  type: z.enum(ACTOR_TYPES),
  id: storableString.min(1).max(200),
  /** Where the actor acted from (browser or API client), when known. */
  address: z.union([z.ipv4(), z.ipv6()]).optional(),
});

export const auditEventSchema = z.object({
  actor: auditActorSchema,
  /** Dotted verb, e.g. `token.revoke`, `tokens.export`, `key.rotate`. */
  action: z
    .string()
    .regex(/^[A-Za-z0-9_.:/-]+$/, "action must be a dotted name")
    .max(100),
  /** What changed: `{ jwt_uuids: [...] }`, `{ query: {...} }`, `{ client_id }`, … */
  target: z.record(storableString, storableJson).default({}),
  reason: storableString.max(2000).nullish(),
  /** How many rows of what: `{ revoked: 12, skipped_already_revoked: 3 }`. */
  counts: z.record(z.string(), z.number().int().nonnegative()).default({}),
  requestId: storableString.max(200).nullish(),
  at: z.date().optional(),
});
export type AuditEvent = z.input<typeof auditEventSchema>;

/** The stored columns of one audit row that its hash covers. */
export type AuditContent = {
  id: string;
  at: Date;
  actorType: string;
  actorId: string;
  action: string;
  target: unknown;
  reason: string | null;
  counts: unknown;
  requestId: string | null;
  sourceAddress: string | null;
};

/** prev_hash of the first row. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * The row's content as RFC 8785 canonical JSON: the same text whether built
 * from an event before the insert or from the row read back (jsonb reorders keys).
 */
export function canonicalContent(c: AuditContent): string {
  // v2 adds the source address; a row without one hashes exactly as before it existed (v1).
  const text = canonicalize({
    v: c.sourceAddress ? 2 : 1,
    id: c.id,
    at: c.at.toISOString(),
    actor_type: c.actorType,
    actor_id: c.actorId,
    action: c.action,
    target: c.target,
    reason: c.reason,
    counts: c.counts,
    request_id: c.requestId,
    ...(c.sourceAddress ? { source_address: c.sourceAddress } : {}),
  });
  if (text === undefined) throw new Error("audit content cannot be serialised");
  return text;
}

/** SHA-256 over the previous row's hash and this row's canonical content (hex). */
export function chainHash(prevHash: string, content: AuditContent): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonicalContent(content)).digest("hex");
}

/** Validates an event and fixes what its hash will cover (id, time, JSON as stored). */
export function toContent(event: AuditEvent): AuditContent {
  const e = auditEventSchema.parse(event);
  return {
    id: randomUUID(),
    at: e.at ?? new Date(),
    actorType: e.actor.type,
    actorId: e.actor.id,
    action: e.action,
    // Through JSON once, so the hashed value is exactly what jsonb returns (no undefined, Dates as strings).
    target: JSON.parse(JSON.stringify(e.target)),
    reason: e.reason ?? null,
    counts: e.counts,
    requestId: e.requestId ?? null,
    sourceAddress: e.actor.address ?? null,
  };
}
