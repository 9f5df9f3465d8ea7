"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import type { ActionState } from "@/app/admin/_components/action-form";
import { errorMessage } from "@/app/admin/_components/ui";
import { clientFormFields, createClientFromConsole, rotateClientSecretFromConsole, updateClientFromConsole } from "@/lib/admin/clients";
import { requireAdmin } from "@/lib/admin/session";
import { callerRequestId } from "@/lib/http/handler";

const requestId = async () => callerRequestId(await headers());

export async function createClientAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const created = await createClientFromConsole({ ...clientFormFields(form), clientId: String(form.get("clientId") ?? "").trim() }, admin.actor, await requestId());
    revalidatePath("/admin/clients");
    return { ok: true, message: `API client ${created.clientId} created. Copy the secret now: it is not shown again.`, secret: created };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

export async function updateClientAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const clientId = String(form.get("clientId") ?? "");
    const fields = clientFormFields(form);
    await updateClientFromConsole(clientId, { ...fields, name: fields.name || undefined }, admin.actor, await requestId());
    revalidatePath("/admin/clients");
    return { ok: true, message: `API client ${clientId} updated.` };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

export async function setClientDisabledAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const clientId = String(form.get("clientId") ?? "");
    const disabled = form.get("disabled") === "true";
    await updateClientFromConsole(clientId, { disabled }, admin.actor, await requestId());
    revalidatePath("/admin/clients");
    return { ok: true, message: `API client ${clientId} ${disabled ? "disabled: its credentials stop working" : "enabled again"}.` };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

export async function rotateSecretAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const clientId = String(form.get("clientId") ?? "");
    const rotated = await rotateClientSecretFromConsole(clientId, admin.actor, await requestId());
    revalidatePath("/admin/clients");
    return { ok: true, message: "New secret issued; the old one no longer works. Copy it now: it is not shown again.", secret: { clientId, ...rotated } };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}
