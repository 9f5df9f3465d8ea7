import { z } from "zod";
import { writeAuditEntries } from "@/lib/audit/write-entries";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { invalidInput } from "@/lib/http/zod-messages";

/**
 * Days a token's metadata is kept after it expired, per token type. The
 * environment (TIM_RETENTION_CUSTOM_DAYS / TIM_RETENTION_TARA_DAYS) gives the
 * default; a row in tim.settings, edited in the console, overrides it.
 *
 * The console's lower bound is MIN_RETENTION_DAYS (7): a week covers the
 * console's incident searches, extension chains and introspection of recently
 * expired tokens, and the weekly review an operator runs, so no administrator
 * can have evidence archived away the day it expires by typing 0 or 1. (The
 * environment's own floor stays 1 day: that is the operator's deliberate setting,
 * outside the console.) What retention removes is archived, not deleted, and kept
 * TIM_ARCHIVE_DAYS more.
 */
const SETTINGS_KEY = "retention";
const MAX_DAYS = 36_500;
export const MIN_RETENTION_DAYS = 7;

const daysSchema = z
  .number({ error: "Give the days as a whole number." })
  .int("Give the days as a whole number.")
  .min(MIN_RETENTION_DAYS, `Retention is at least ${MIN_RETENTION_DAYS} days (evidence is not archived away sooner).`)
  .max(MAX_DAYS, `Retention is at most ${MAX_DAYS} days.`);

export const retentionSettingsSchema = z.object({ customDays: daysSchema, taraDays: daysSchema }).strict();

type RetentionDays = z.infer<typeof retentionSettingsSchema>;
/** Where a token type's days come from: TIM's default, the environment, or the console's override. */
export type RetentionSource = "default" | "environment" | "console";

export type RetentionSettings = RetentionDays & {
  /** "settings" once the console stored any override, else "environment". */
  source: "environment" | "settings";
  sources: Record<keyof RetentionDays, RetentionSource>;
  updatedAt: Date | null;
  updatedBy: string | null;
};

const ENV_NAMES: Record<keyof RetentionDays, "TIM_RETENTION_CUSTOM_DAYS" | "TIM_RETENTION_TARA_DAYS"> = {
  customDays: "TIM_RETENTION_CUSTOM_DAYS",
  taraDays: "TIM_RETENTION_TARA_DAYS",
};

// Read as stored: an override written before the bound existed still applies (and shows) until changed.
const storedSchema = z.object({ customDays: z.number().int().min(1), taraDays: z.number().int().min(1) }).partial();

export async function getRetentionSettings(): Promise<RetentionSettings> {
  const cfg = config();
  const row = await (await db()).setting.findUnique({ where: { key: SETTINGS_KEY } });
  const stored = storedSchema.safeParse(row?.value ?? {});
  const values = stored.success ? stored.data : {};
  const sourceOf = (field: keyof RetentionDays): RetentionSource =>
    values[field] !== undefined ? "console" : cfg.configured.has(ENV_NAMES[field]) ? "environment" : "default";
  return {
    customDays: values.customDays ?? cfg.TIM_RETENTION_CUSTOM_DAYS,
    taraDays: values.taraDays ?? cfg.TIM_RETENTION_TARA_DAYS,
    source: row ? "settings" : "environment",
    sources: { customDays: sourceOf("customDays"), taraDays: sourceOf("taraDays") },
    updatedAt: row?.updatedAt ?? null,
    updatedBy: row?.updatedBy ?? null,
  };
}

/**
 * Stores new retention days (either or both) and writes the audit entry in
 * the same transaction. Values below MIN_RETENTION_DAYS are refused with a 400;
 * the type not named keeps its current days (a value from the environment
 * becomes the stored one).
 */
export async function setRetentionSettings(
  actor: string,
  change: Partial<z.infer<typeof retentionSettingsSchema>>,
  options: { reason?: string; requestId?: string | null } = {},
): Promise<RetentionSettings> {
  const current = await getRetentionSettings();
  // Only the changed values are held to the bound: an unchanged one below it (the environment's) stays as it is.
  const parsed = z
    .object({ customDays: change.customDays === undefined ? z.number() : daysSchema, taraDays: change.taraDays === undefined ? z.number() : daysSchema })
    .safeParse({ customDays: change.customDays ?? current.customDays, taraDays: change.taraDays ?? current.taraDays });
  if (!parsed.success) throw invalidInput(parsed.error);
  // Stored: the overrides there were, and each value given that differs from the one in force (a value given
  // unchanged, as the console's form sends the other type's, keeps its source: environment or default).
  const overrides: Partial<RetentionDays> = {};
  for (const field of ["customDays", "taraDays"] as const) {
    if (current.sources[field] === "console" || (change[field] !== undefined && change[field] !== current[field])) overrides[field] = parsed.data[field];
  }
  await (await db()).$transaction(async (tx) => {
    await tx.setting.upsert({
      where: { key: SETTINGS_KEY },
      create: { key: SETTINGS_KEY, value: overrides, updatedBy: actor },
      update: { value: overrides, updatedBy: actor, updatedAt: new Date() },
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
