"use server";

import { revalidatePath } from "next/cache";
import { adminAction } from "@/app/admin/_components/admin-action";
import { prepareKey, retireKeyFromConsole, rotateKeyEmergency, rotateKeyNow } from "@/lib/admin/keys";

export const rotateKeyAction = adminAction(async ({ admin, requestId }) => {
  const { kid, activatesAt, immediate } = await rotateKeyNow(admin.actor, requestId);
  revalidatePath("/admin/keys");
  return {
    ok: true,
    message: immediate
      ? `Key ${kid} signs from now on (it was published long enough for every verifier to hold it); the previous key is retired and stays published until its tokens expire.`
      : `Key ${kid} is published and starts signing at ${activatesAt.toISOString()}, on every instance at once, when every verifier's cached key set holds it; until then the current key signs.`,
  };
});

export const emergencyRotateKeyAction = adminAction(async ({ admin, requestId }) => {
  const kid = await rotateKeyEmergency(admin.actor, requestId);
  revalidatePath("/admin/keys");
  return {
    ok: true,
    message: `Key ${kid} signs from now on. Verifiers that cached the key set before it was published refuse its tokens until they fetch it again; the previous key stays published until its tokens expire (revoke them to refuse them).`,
  };
});

export const prepareKeyAction = adminAction(async ({ admin, requestId }) => {
  const kid = await prepareKey(admin.actor, requestId);
  revalidatePath("/admin/keys");
  return { ok: true, message: `Key ${kid} is published in the JWKS and will sign after the next rotation.` };
});

export const retireKeyAction = adminAction(async ({ admin, form, requestId }) => {
  const { retired, active } = await retireKeyFromConsole(String(form.get("kid") ?? ""), admin.actor, requestId);
  revalidatePath("/admin/keys");
  return {
    ok: true,
    message: `Key ${retired} is retired: it no longer signs and stays published until its tokens expire.${active ? ` Key ${active} signs.` : ""}`,
  };
});
