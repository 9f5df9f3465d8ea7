"use server";

import { redirect } from "next/navigation";
import { adminAction } from "@/app/admin/_components/admin-action";
import { revokeByQuery } from "@/lib/admin/revoke-by-query";
import { revokeListed } from "@/lib/admin/revoke-listed";
import { parseTokenQuery } from "@/lib/reporting/filters";

// Listed revocations leave the page as it is (it shows nothing of those tokens). A revocation by query goes
// back to the same preview, re-counted, with its outcome read from what it recorded (its audit event or job run).

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
  const back = new URLSearchParams(query);
  back.set("preview", "1");
  if (result.mode === "done") back.set("revoked_by_event", result.auditId);
  else back.set("revoking_run", result.runId);
  redirect(`/admin/revoke?${back}#revoke-query`);
});
