"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ActionState } from "@/app/admin/_components/action-form";
import { errorMessage } from "@/app/admin/_components/ui";
import { claimSetupCode } from "@/lib/admins/first-run";
import { currentUser } from "@/lib/auth/current-user";
import { requestIdOf } from "@/lib/http/handler";

/** The signed-in person claims the first-run setup code and becomes TIM's first administrator. */
export async function claimSetupAction(_state: ActionState, form: FormData): Promise<ActionState> {
  const user = await currentUser();
  if (!user) return { ok: false, message: "Sign in first." };
  try {
    await claimSetupCode(String(form.get("code") ?? ""), user.subject, requestIdOf(await headers()));
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
  redirect("/admin/administrators?welcome=1");
}
