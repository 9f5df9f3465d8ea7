"use server";

import { revalidatePath } from "next/cache";
import { adminAction } from "@/app/admin/_components/admin-action";
import { grantAdministrator, removeAdministrator } from "@/lib/admins/manage-administrators";

export const grantAdministratorAction = adminAction(async ({ admin, form, requestId }) => {
  const { subject, granted } = await grantAdministrator(String(form.get("subject") ?? ""), admin.actor, requestId);
  revalidatePath("/admin/administrators");
  return { ok: true, message: granted ? `${subject} is now an administrator.` : `${subject} was an administrator already; nothing changed.` };
});

export const removeAdministratorAction = adminAction(async ({ admin, form, requestId }) => {
  const subject = String(form.get("subject") ?? "");
  await removeAdministrator(subject, admin.actor, requestId);
  revalidatePath("/admin/administrators");
  return { ok: true, message: `${subject} is no longer an administrator; their next console request is refused.` };
});
