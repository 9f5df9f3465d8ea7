"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import type { ActionState } from "@/app/admin/_components/action-form";
import { errorMessage } from "@/app/admin/_components/ui";
import { prepareKey, retireKeyFromConsole, rotateKeyEmergency, rotateKeyNow } from "@/lib/admin/keys";
import { requireAdmin } from "@/lib/admin/session";
import { callerRequestId } from "@/lib/http/handler";

export async function rotateKeyAction(_state: ActionState): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    const { kid, activatesAt, immediate } = await rotateKeyNow(admin.actor, callerRequestId(await headers()));
    revalidatePath("/admin/keys");
    return {
      ok: true,
      message: immediate
        ? `Key ${kid} signs from now on (it was published long enough for every verifier to hold it); the previous key is retired and stays published until its tokens expire.`
        : `Key ${kid} is published and starts signing at ${activatesAt.toISOString()}, on every instance at once, when every verifier's cached key set holds it; until then the current key signs.`,
    };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

export async function emergencyRotateKeyAction(_state: ActionState, form: FormData): Promise<ActionState> {
  try {
    const admin = await requireAdmin();
    if (form.get("confirm") !== "compromised") {
      return { ok: false, message: "Tick the box to confirm the signing key is compromised: an emergency rotation does not wait for verifiers to fetch the new key." };
    }
    const kid = await rotateKeyEmergency(admin.actor, callerRequestId(await headers()));
    revalidatePath("/admin/keys");
    return {
      ok: true,
      message: `Key ${kid} signs from now on. Verifiers that cached the key set before it was published refuse its tokens until they fetch it again; the previous key stays published until its tokens expire (revoke them to refuse them).`,
    };
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
