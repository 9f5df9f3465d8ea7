import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { badRequest } from "@/lib/http/errors";
import { describeZodError } from "@/lib/http/zod-messages";
import type { DbTx } from "@/lib/tokens/kinds";
import { activeTokenLimitSchema } from "@/lib/tokens/token-limit";

/**
 * The limit on active TARA sessions per person (issue 17): a login past it
 * ends the person's oldest live TIM TARA JWTs with reason `token_limit`, in the
 * transaction that records the new one (lib/tara/issue-token.ts, with
 * lib/tokens/token-limit.ts). TIM_TARA_SESSION_LIMIT gives the default (unset:
 * no limit); the console's setting (tim.settings "tara_session_limit",
 * {limit: n | null}) overrides it, audited in the same transaction.
 */
const SETTINGS_KEY = "tara_session_limit";
const storedSchema = z.object({ limit: activeTokenLimitSchema });

export type TaraSessionLimit = {
  limit: number | null;
  source: "default" | "environment" | "console";
  updatedAt: Date | null;
  updatedBy: string | null;
};

/** The limit in force: the console's setting, else the environment's, else none. */
export async function getTaraSessionLimit(tx?: DbTx): Promise<TaraSessionLimit> {
  const row = await (tx ?? (await db())).setting.findUnique({ where: { key: SETTINGS_KEY } });
  const stored = storedSchema.safeParse(row?.value);
  if (row && stored.success) return { limit: stored.data.limit, source: "console", updatedAt: row.updatedAt, updatedBy: row.updatedBy };
  const env = config().TIM_TARA_SESSION_LIMIT ?? null;
  return { limit: env, source: env === null ? "default" : "environment", updatedAt: null, updatedBy: null };
}

/** Sets (a number) or lifts (null) the console's limit; `reset` drops the override, so the environment's applies again. */
export async function setTaraSessionLimit(
  change: { limit: number | null } | { reset: true },
  actor: AuditActor,
  options: { requestId?: string | null } = {},
): Promise<TaraSessionLimit> {
  const before = await getTaraSessionLimit();
  const prisma = await db();
  await prisma.$transaction(async (tx) => {
    if ("reset" in change) {
      await tx.setting.deleteMany({ where: { key: SETTINGS_KEY } });
    } else {
      const parsed = activeTokenLimitSchema.safeParse(change.limit);
      if (!parsed.success) throw badRequest(describeZodError(parsed.error));
      const value = { limit: parsed.data };
      await tx.setting.upsert({
        where: { key: SETTINGS_KEY },
        create: { key: SETTINGS_KEY, value, updatedBy: actor.id },
        update: { value, updatedBy: actor.id, updatedAt: new Date() },
      });
    }
    const after = "reset" in change ? (config().TIM_TARA_SESSION_LIMIT ?? null) : change.limit;
    await recordAudit(tx, {
      actor,
      action: "settings.tara_session_limit.update",
      target: { before: { limit: before.limit, source: before.source }, after: { limit: after, source: "reset" in change ? "environment" : "console" } },
      requestId: options.requestId,
    });
  });
  return getTaraSessionLimit();
}
