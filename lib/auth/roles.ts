import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";

export type Role = "admin" | "user";

/** The administrators TIM_ADMIN_SUBJECTS seeds (personal codes as TARA gives them, e.g. EE38001085718), upper case. */
export function seededAdministrators(): string[] {
  return config()
    .TIM_ADMIN_SUBJECTS.split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => s.toUpperCase());
}

/**
 * Administrators are the subjects TIM_ADMIN_SUBJECTS seeds and those granted
 * at run time (tim.administrators: console, first-run setup, CLI). Read on
 * every request, so a removal takes effect at once on every instance.
 */
export async function roleFor(subject: string): Promise<Role> {
  const code = subject.toUpperCase();
  if (seededAdministrators().includes(code)) return "admin";
  const granted = await (await db()).administrator.findUnique({ where: { subject: code }, select: { subject: true } });
  return granted ? "admin" : "user";
}
