"use server";

import { adminAction } from "@/app/admin/_components/admin-action";
import { revokeByQuery } from "@/lib/admin/revoke-by-query";
import { revokeListed } from "@/lib/admin/revoke-listed";
import { parseTokenQuery } from "@/lib/reporting/filters";

// No revalidatePath here: refreshing the page would unmount the form (the
// preview then matches nothing) together with the outcome it shows.

/** Revokes the jtis or tokens pasted in `entries` (one, or a list). */
export const revokeListedAction = adminAction(async ({ admin, form, requestId }) => {
  const r = await revokeListed({
    entries: String(form.get("entries") ?? ""),
    reason: String(form.get("reason") ?? ""),
    actor: admin.actor,
    revokedBy: admin.revokedBy,
    requestId,
  });
  const lines = [
    ...r.revoked.map((j) => `revoked ${j}`),
    ...r.alreadyRevoked.map((j) => `already revoked, left unchanged: ${j}`),
    ...r.notFound.map((j) => `no such token: ${j}`),
    ...r.invalid.map((i) => `not a valid TIM token (${i.reason}): ${i.entry}`),
  ];
  return {
    ok: r.revoked.length > 0 || r.alreadyRevoked.length > 0,
    message: `${r.revoked.length} revoked, ${r.alreadyRevoked.length} already revoked, ${r.notFound.length} not found, ${r.invalid.length} invalid.`,
    lines,
  };
});

/** Revokes every active token matching the query the preview showed, once the count is typed to confirm. */
export const revokeByQueryAction = adminAction(async ({ admin, form, requestId }) => {
  const query = new URLSearchParams(String(form.get("query") ?? ""));
  const { filters } = parseTokenQuery(query);
  const typed = String(form.get("confirm") ?? "").replace(/[\s,._]/g, "");
  if (!/^\d+$/.test(typed)) return { ok: false, message: "Type the number of matching tokens to confirm." };
  const result = await revokeByQuery({
    filters,
    reason: String(form.get("reason") ?? ""),
    confirmCount: Number(typed),
    actor: admin.actor,
    revokedBy: admin.revokedBy,
    requestId,
  });
  return result.mode === "done"
    ? { ok: true, message: `${result.revoked} tokens revoked.` }
    : { ok: true, message: `${result.matched} tokens are being revoked in the background (job ${result.runId}); progress is shown below.` };
});
