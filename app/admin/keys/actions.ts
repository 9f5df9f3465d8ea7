"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import type { ActionState } from "@/app/admin/_components/action-form";
import { errorMessage } from "@/app/admin/_components/ui";
import { prepareKey, retireKeyFromConsole, rotateKeyNow } from "@/lib/admin/keys";
import { requireAdmin } from "@/lib/admin/session";
import { callerRequestId } from "@/lib/http/handler";

export async function rotateKeyAction(_state: ActionState): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const kid = await rotateKeyNow(admin.actor, callerRequestId(await headers()));
    revalidatePath("/admin/keys");
    return { ok: true, message: `Key ${kid} signs from now on; the previous key is retired and stays published until its tokens expire.` };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

export async function prepareKeyAction(_state: ActionState): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const kid = await prepareKey(admin.actor, callerRequestId(await headers()));
    revalidatePath("/admin/keys");
    return { ok: true, message: `Key ${kid} is published in the JWKS and will sign after the next rotation.` };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

export async function retireKeyAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const { retired, active } = await retireKeyFromConsole(String(form.get("kid") ?? ""), admin.actor, callerRequestId(await headers()));
    revalidatePath("/admin/keys");
    return { ok: true, message: `Key ${retired} is retired: it no longer signs and stays published until its tokens expire.${active ? ` Key ${active} signs.` : ""}` };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}
