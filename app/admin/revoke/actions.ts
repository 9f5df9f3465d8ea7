"use server";

import { headers } from "next/headers";
import type { ActionState } from "@/app/admin/_components/action-form";
import { errorMessage } from "@/app/admin/_components/ui";
import { revokeByQuery } from "@/lib/admin/revoke-by-query";
import { revokeListed } from "@/lib/admin/revoke-listed";
import { requireAdmin } from "@/lib/admin/session";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { callerRequestId } from "@/lib/http/handler";

// No revalidatePath here: refreshing the page would unmount the form (the
// preview then matches nothing) together with the outcome it shows.
async function requestId(): Promise<string | null> {
  return callerRequestId(await headers());
}

/** Revokes the jtis or tokens pasted in `entries` (one, or a list). */
export async function revokeListedAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const r = await revokeListed({
      entries: String(form.get("entries") ?? ""),
      reason: String(form.get("reason") ?? ""),
      actor: admin.actor,
      revokedBy: admin.revokedBy,
      requestId: await requestId(),
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
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

/** Revokes every active token matching the query the preview showed, once the count is typed to confirm. */
export async function revokeByQueryAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
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
      requestId: await requestId(),
    });
    return result.mode === "done"
      ? { ok: true, message: `${result.revoked} tokens revoked.` }
      : { ok: true, message: `${result.matched} tokens are being revoked in the background (job ${result.runId}); progress is shown below.` };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}
