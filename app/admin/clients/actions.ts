"use server";

import { revalidatePath } from "next/cache";
import { adminAction } from "@/app/admin/_components/admin-action";
import { clientFormFields, createClientFromConsole, rotateClientSecretFromConsole, updateClientFromConsole } from "@/lib/admin/clients";

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
