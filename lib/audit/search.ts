import { z } from "zod";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { invalidInput } from "@/lib/http/zod-messages";
import { timedQuery } from "@/lib/metrics/registry";
import { ACTOR_TYPES, type AuditContent } from "@/lib/audit/event";
import { storableString } from "@/lib/db/storable";

/** A stored audit row: the hashed content plus its position and hash. */
export type AuditRow = AuditContent & { seq: string; hash: string };

const empty = (v: unknown) => (v === "" ? undefined : v);

export const auditFilterSchema = z.object({
  actor_type: z.preprocess(empty, z.enum(ACTOR_TYPES).optional()),
  actor: z.preprocess(empty, storableString.trim().max(200).optional()),
  /** Exact action or a prefix ending in `.`, e.g. `tokens.` */
  action: z.preprocess(empty, storableString.trim().max(100).optional()),
  /** A jwt_uuid named in the event's target. */
  jwt_uuid: z.preprocess(empty, z.uuid().optional()),
  from: z.preprocess(
    empty,
    z.iso
      .date()
      .or(z.iso.datetime({ offset: true }))
      .optional(),
  ),
  to: z.preprocess(
    empty,
    z.iso
      .date()
      .or(z.iso.datetime({ offset: true }))
      .optional(),
  ),
  before: z.preprocess(
    empty,
    z
      .string()
      .regex(/^\d{1,19}$/)
      .optional(),
  ),
  limit: z.preprocess(empty, z.coerce.number().int().min(1).max(200).default(50)),
});
export type AuditFilters = z.infer<typeof auditFilterSchema>;

export function parseAuditQuery(params: Record<string, string | string[] | undefined>): AuditFilters {
  const raw = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const parsed = auditFilterSchema.safeParse(raw);
  if (!parsed.success) throw invalidInput(parsed.error);
  return parsed.data;
}

const endOf = (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(new Date(`${v}T00:00:00Z`).getTime() + 86_399_999) : new Date(v));
const startOf = (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T00:00:00Z`) : new Date(v));

/** Newest first, keyset-paginated on seq (`before` = the last seq of the previous page). */
export async function searchAudit(f: AuditFilters): Promise<{ rows: AuditRow[]; nextBefore: string | null }> {
  const where: Prisma.AuditWhereInput = {
    actorType: f.actor_type,
    actorId: f.actor,
    action: f.action?.endsWith(".") ? { startsWith: f.action } : f.action,
    at: f.from || f.to ? { gte: f.from ? startOf(f.from) : undefined, lte: f.to ? endOf(f.to) : undefined } : undefined,
    seq: f.before ? { lt: BigInt(f.before) } : undefined,
    ...(f.jwt_uuid ? { target: { path: ["jwt_uuids"], array_contains: [f.jwt_uuid] } } : {}),
  };
  const rows = await timedQuery("audit_search", async () => (await db()).audit.findMany({ where, orderBy: { seq: "desc" }, take: f.limit + 1 }));
  const page = rows.slice(0, f.limit).map((r) => ({ ...r, seq: r.seq.toString() }));
  return { rows: page, nextBefore: rows.length > f.limit ? page[page.length - 1].seq : null };
}

/** One audit event by id (undefined: no such event). */
export async function auditEvent(id: string): Promise<AuditRow | undefined> {
  if (!z.uuid().safeParse(id).success) return undefined;
  const row = await (await db()).audit.findUnique({ where: { id } });
  return row ? { ...row, seq: row.seq.toString() } : undefined;
}

/** The audit events that name this token in their target. */
export async function auditEventsForToken(jwtUuid: string): Promise<AuditRow[]> {
  return (await searchAudit(auditFilterSchema.parse({ jwt_uuid: jwtUuid, limit: 200 }))).rows;
}
