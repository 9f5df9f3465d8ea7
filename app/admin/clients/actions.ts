"use server";

import { revalidatePath } from "next/cache";
import { adminAction } from "@/app/admin/_components/admin-action";
import { clientFormFields, createClientFromConsole, rotateClientSecretFromConsole, updateClientFromConsole } from "@/lib/admin/clients";
import { badRequest } from "@/lib/http/errors";
import { setTaraSessionLimit } from "@/lib/tara/session-limit";

export const createClientAction = adminAction(async ({ admin, form, requestId }) => {
  const created = await createClientFromConsole({ ...clientFormFields(form), clientId: String(form.get("clientId") ?? "").trim() }, admin.actor, requestId);
  revalidatePath("/admin/clients");
  return { ok: true, message: `API client ${created.clientId} created. Copy the secret now: it is not shown again.`, secret: created };
});

export const updateClientAction = adminAction(async ({ admin, form, requestId }) => {
  const clientId = String(form.get("clientId") ?? "");
  const fields = clientFormFields(form);
  await updateClientFromConsole(clientId, { ...fields, name: fields.name || undefined }, admin.actor, requestId);
  revalidatePath("/admin/clients");
  return { ok: true, message: `API client ${clientId} updated.` };
});

export const setClientDisabledAction = adminAction(async ({ admin, form, requestId }) => {
  const clientId = String(form.get("clientId") ?? "");
  const disabled = form.get("disabled") === "true";
  await updateClientFromConsole(clientId, { disabled }, admin.actor, requestId);
  revalidatePath("/admin/clients");
  return { ok: true, message: `API client ${clientId} ${disabled ? "disabled: its credentials stop working" : "enabled again"}.` };
});

export const rotateSecretAction = adminAction(async ({ admin, form, requestId }) => {
  const clientId = String(form.get("clientId") ?? "");
  const rotated = await rotateClientSecretFromConsole(clientId, admin.actor, requestId);
  revalidatePath("/admin/clients");
  return { ok: true, message: "New secret issued; the old one no longer works. Copy it now: it is not shown again.", secret: { clientId, ...rotated } };
});

/** TARA sessions per person: a number, empty (no limit), or back to the environment's setting. */
export const setTaraSessionLimitAction = adminAction(async ({ admin, form, requestId }) => {
  if (form.get("reset") === "yes") {
    const r = await setTaraSessionLimit({ reset: true }, admin.actor, { requestId });
    revalidatePath("/admin/clients");
    return { ok: true, message: `TARA sessions per person: back to the environment's setting (${r.limit ?? "no limit"}).` };
  }
  const value = String(form.get("limit") ?? "").trim();
  if (value !== "" && !/^\d{1,4}$/.test(value)) throw badRequest("Give the limit as a whole number, or leave it empty for no limit.");
  const r = await setTaraSessionLimit({ limit: value === "" ? null : Number(value) }, admin.actor, { requestId });
  revalidatePath("/admin/clients");
  return {
    ok: true,
    message: r.limit === null ? "TARA sessions per person: no limit." : `TARA sessions per person: at most ${r.limit}; a login past it ends the oldest.`,
  };
});
