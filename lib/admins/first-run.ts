import { createHash, randomBytes } from "node:crypto";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { seededAdministrators } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { TimError } from "@/lib/http/errors";

/** How long a first-run setup link works. */
export const SETUP_CODE_TTL_MS = 60 * 60_000;

const hashOf = (code: string) => createHash("sha256").update(code).digest("hex");

/** Whether TIM has an administrator (seeded or granted). */
export async function hasAdministrator(): Promise<boolean> {
  return seededAdministrators().length > 0 || (await (await db()).administrator.count()) > 0;
}

/**
 * On a start without any administrator: a one-time setup code (128 random
 * bits) for the first person who signs in to become administrator, without
 * a restart. Only its hash is stored; the caller prints the code in this
 * instance's start-up log, and nowhere else. Several instances each add their
 * own; the first claim ends them all. Undefined when TIM has an administrator.
 */
export async function issueSetupCode(now = new Date()): Promise<{ code: string; expiresAt: Date } | undefined> {
  if (await hasAdministrator()) return undefined;
  const code = randomBytes(16).toString("base64url");
  const expiresAt = new Date(now.getTime() + SETUP_CODE_TTL_MS);
  const prisma = await db();
  await prisma.adminSetupCode.deleteMany({ where: { expiresAt: { lt: now } } });
  await prisma.adminSetupCode.create({ data: { codeHash: hashOf(code), expiresAt } });
  return { code, expiresAt };
}

/**
 * The signed-in person `subject` becomes TIM's first administrator with a
 * valid setup code: in one transaction the code is checked, every setup code
 * deleted, the grant written and audited (`admin.setup`). Refused once any
 * administrator exists, so a leaked link is worthless after first use.
 */
export async function claimSetupCode(code: string, subject: string, requestId?: string | null): Promise<void> {
  const actor: AuditActor = { type: "end_user", id: subject };
  const prisma = await db();
  await prisma.$transaction(async (tx) => {
    // Serialises concurrent claims: the second one sees the first one's administrator.
    await tx.$executeRaw`LOCK TABLE tim.admin_setup_codes IN EXCLUSIVE MODE`;
    if (seededAdministrators().length > 0 || (await tx.administrator.count()) > 0) {
      throw new TimError("setup_done", "TIM has an administrator already; ask them to grant you the role.");
    }
    const valid = await tx.adminSetupCode.findFirst({ where: { codeHash: hashOf(code), expiresAt: { gt: new Date() } } });
    if (!valid) throw new TimError("invalid_setup_code", "This setup link is unknown or expired: restart TIM for a new one, or use npm run tim -- admin add.");
    await tx.adminSetupCode.deleteMany({});
    await tx.administrator.create({ data: { subject: subject.toUpperCase(), grantedBy: "setup-link" } });
    await recordAudit(tx, { actor, action: "admin.setup", target: { subject: subject.toUpperCase() }, requestId });
  });
}
