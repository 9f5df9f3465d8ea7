import { z } from "zod";
import { writeAuditEntries } from "@/lib/audit/write-entries";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { invalidInput } from "@/lib/http/zod-messages";

/**
 * Days a token's metadata is kept after it expired, per token type. The
 * environment (TIM_RETENTION_CUSTOM_DAYS / TIM_RETENTION_TARA_DAYS) gives the
 * default; a row in tim.settings, edited in the console, overrides it.
 */
const SETTINGS_KEY = "retention";
const MAX_DAYS = 36_500;

export const retentionSettingsSchema = z
  .object({
    customDays: z.number().int().min(1, "Retention is at least 1 day.").max(MAX_DAYS),
    taraDays: z.number().int().min(1, "Retention is at least 1 day.").max(MAX_DAYS),
  })
  .strict();

export type RetentionSettings = z.infer<typeof retentionSettingsSchema> & {
  source: "environment" | "settings";
  updatedAt: Date | null;
  updatedBy: string | null;
};

const storedSchema = retentionSettingsSchema.partial();

export async function getRetentionSettings(): Promise<RetentionSettings> {
  const cfg = config();
  const row = await (await db()).setting.findUnique({ where: { key: SETTINGS_KEY } });
  const stored = storedSchema.safeParse(row?.value ?? {});
  const values = stored.success ? stored.data : {};
  return {
    customDays: values.customDays ?? cfg.TIM_RETENTION_CUSTOM_DAYS,
    taraDays: values.taraDays ?? cfg.TIM_RETENTION_TARA_DAYS,
    source: row ? "settings" : "environment",
    updatedAt: row?.updatedAt ?? null,
    updatedBy: row?.updatedBy ?? null,
  };
}

/**
 * Stores new retention days (either or both) and writes the audit entry in
 * the same transaction. Values below 1 day are refused with a 400.
 */
export async function setRetentionSettings(
  actor: string,
  change: Partial<z.infer<typeof retentionSettingsSchema>>,
  options: { reason?: string; requestId?: string | null } = {},
): Promise<RetentionSettings> {
  const current = await getRetentionSettings();
  const parsed = retentionSettingsSchema.safeParse({
    customDays: change.customDays ?? current.customDays,
    taraDays: change.taraDays ?? current.taraDays,
  });
  if (!parsed.success) throw invalidInput(parsed.error);
  await (await db()).$transaction(async (tx) => {
    await tx.setting.upsert({
      where: { key: SETTINGS_KEY },
      create: { key: SETTINGS_KEY, value: parsed.data, updatedBy: actor },
      update: { value: parsed.data, updatedBy: actor, updatedAt: new Date() },
    });
    await writeAuditEntries(tx, [
      {
        actor,
        actorKind: "administrator",
        action: "settings.retention.update",
        target: { before: { customDays: current.customDays, taraDays: current.taraDays }, after: parsed.data },
        reason: options.reason,
        requestId: options.requestId ?? null,
      },
    ]);
  });
  return getRetentionSettings();
}
