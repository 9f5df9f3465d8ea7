"use server";

import { adminAction } from "@/app/admin/_components/admin-action";
import { logoutEverywhere } from "@/lib/admin/logout-everywhere";

// No revalidatePath: with nothing left active the page would swap the form, and the outcome it shows, for
// "nothing to end". The counts show on the next load.

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Ends every active custom token and TARA session of a subject (the form asks first). */
export const logoutEverywhereAction = adminAction(async ({ admin, form, requestId }) => {
  const r = await logoutEverywhere({
    subject: form.get("subject"),
    reason: String(form.get("reason") ?? ""),
    admin,
    requestId,
  });
  const left = r.remaining.custom + r.remaining.tara;
  return {
    ok: true,
    message: `Logged out everywhere: ${plural(r.revoked.custom, "custom token", "custom tokens")} and ${plural(r.revoked.tara, "TARA session", "TARA sessions")} revoked.${left ? ` ${left} still active: run it again.` : ""}`,
  };
});
