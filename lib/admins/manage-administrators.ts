import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { personalCodeProblem } from "@/lib/admins/subject";
import { seededAdministrators } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";

export const administratorSubjectSchema = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase())
  .superRefine((v, ctx) => {
    const problem = personalCodeProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export type AdministratorEntry = { subject: string; source: "environment" | "granted"; grantedAt: Date | null; grantedBy: string | null };

/** Every administrator: seeded by TIM_ADMIN_SUBJECTS (changed only there) and granted at run time. */
export async function listAdministrators(): Promise<AdministratorEntry[]> {
  const seeded = seededAdministrators();
  const granted = await (await db()).administrator.findMany({ orderBy: { grantedAt: "asc" } });
  return [
    ...seeded.map((subject) => ({ subject, source: "environment" as const, grantedAt: null, grantedBy: null })),
    ...granted
      .filter((g) => !seeded.includes(g.subject))
      .map((g) => ({ subject: g.subject, source: "granted" as const, grantedAt: g.grantedAt, grantedBy: g.grantedBy })),
  ];
}

function parseSubject(subject: string): string {
  const parsed = administratorSubjectSchema.safeParse(subject);
  if (!parsed.success) {
    const err = new TimError("invalid_request", parsed.error.issues[0].message, { field: "subject" });
    err.fields = { subject: parsed.error.issues[0].message };
    throw err;
  }
  return parsed.data;
}

/** Makes `subject` an administrator (audited `admin.grant`); granting an existing one changes nothing and says so. */
export async function grantAdministrator(subject: string, actor: AuditActor, requestId?: string | null): Promise<{ subject: string; granted: boolean }> {
  const code = parseSubject(subject);
  if (seededAdministrators().includes(code)) return { subject: code, granted: false };
  return (await db()).$transaction(async (tx) => {
    const inserted = await tx.administrator.createMany({ data: [{ subject: code, grantedBy: `${actor.type}:${actor.id}` }], skipDuplicates: true });
    if (inserted.count === 0) return { subject: code, granted: false };
    await recordAudit(tx, { actor, action: "admin.grant", target: { subject: code }, requestId });
    return { subject: code, granted: true };
  });
}

/**
 * Ends `subject`'s administrator role (audited `admin.revoke`). One seeded by
 * TIM_ADMIN_SUBJECTS is removed there, not here; the last administrator stays,
 * so the console is never left without one.
 */
export async function removeAdministrator(subject: string, actor: AuditActor, requestId?: string | null): Promise<void> {
  const code = parseSubject(subject);
  if (seededAdministrators().includes(code)) {
    throw new TimError("administrator_seeded", `${code} is an administrator by TIM_ADMIN_SUBJECTS: remove it there and restart.`);
  }
  await (await db()).$transaction(async (tx) => {
    const row = await tx.administrator.findUnique({ where: { subject: code } });
    if (!row) throw new TimError("not_found", `${code} is not an administrator.`);
    if (seededAdministrators().length === 0 && (await tx.administrator.count()) === 1) {
      throw new TimError("last_administrator", `${code} is the last administrator: grant another one first.`);
    }
    await tx.administrator.delete({ where: { subject: code } });
    await recordAudit(tx, { actor, action: "admin.revoke", target: { subject: code }, requestId });
  });
}
