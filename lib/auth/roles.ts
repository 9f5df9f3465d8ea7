import { config } from "@/lib/config/env";

export type Role = "admin" | "user";

/** Administrators are the personal codes in TIM_ADMIN_SUBJECTS (as TARA gives them, e.g. EE38001085718). */
export function roleFor(subject: string): Role {
  const admins = config()
    .TIM_ADMIN_SUBJECTS.split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => s.toUpperCase());
  return admins.includes(subject.toUpperCase()) ? "admin" : "user";
}
