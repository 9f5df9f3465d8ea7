"use server";

import { revalidatePath } from "next/cache";
import { adminAction } from "@/app/admin/_components/admin-action";
import { badRequest } from "@/lib/http/errors";
import { requestRetentionRun } from "@/lib/retention/request-run";
import { setRetentionSettings } from "@/lib/retention/settings";

/** A whole number of days from the form; empty keeps the current value. */
function days(form: FormData, name: string): number | undefined {
  const value = String(form.get(name) ?? "").trim();
  if (value === "") return undefined;
  if (!/^\d{1,6}$/.test(value)) throw badRequest("Give the days as a whole number.");
  return Number(value);
}

export const setRetentionAction = adminAction(async ({ admin, form, requestId }) => {
  const reason = String(form.get("reason") ?? "").trim() || undefined;
  const s = await setRetentionSettings(admin.subject, { customDays: days(form, "customDays"), taraDays: days(form, "taraDays") }, { reason, requestId });
  revalidatePath("/admin/retention");
  return { ok: true, message: `Retention set: custom tokens ${s.customDays} days, TARA tokens ${s.taraDays} days after expiry.` };
});

export const runRetentionAction = adminAction(async ({ admin, requestId }) => {
  await requestRetentionRun(admin.subject, { requestId });
  revalidatePath("/admin/retention");
  return { ok: true, message: "Retention run requested: it shows under Last runs once it starts (reload the page)." };
});
