"use server";

import { revalidatePath } from "next/cache";
import { adminAction } from "@/app/admin/_components/admin-action";
import { prepareKey, retireKeyFromConsole, rotateKeyNow } from "@/lib/admin/keys";

export const rotateKeyAction = adminAction(async ({ admin, requestId }) => {
  const kid = await rotateKeyNow(admin.actor, requestId);
  revalidatePath("/admin/keys");
  return { ok: true, message: `Key ${kid} signs from now on; the previous key is retired and stays published until its tokens expire.` };
});

export const prepareKeyAction = adminAction(async ({ admin, requestId }) => {
  const kid = await prepareKey(admin.actor, requestId);
  revalidatePath("/admin/keys");
  return { ok: true, message: `Key ${kid} is published in the JWKS and will sign after the next rotation.` };
});

export const retireKeyAction = adminAction(async ({ admin, form, requestId }) => {
  const { retired, active } = await retireKeyFromConsole(String(form.get("kid") ?? ""), admin.actor, requestId);
  revalidatePath("/admin/keys");
  return { ok: true, message: `Key ${retired} is retired: it no longer signs and stays published until its tokens expire.${active ? ` Key ${active} signs.` : ""}` };
});
