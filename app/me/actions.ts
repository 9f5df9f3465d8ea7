"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { requireUser } from "@/lib/auth/current-user";
import { clearWebSession } from "@/lib/auth/sign-out";
import { endTaraSessions } from "@/lib/tara/end-session";
import { sessionIdSchema } from "@/lib/tara/session";

/** Ends one of the signed-in person's TARA sessions; ending the current one signs this browser out. */
export async function endSessionAction(formData: FormData): Promise<void> {
  const user = await requireUser("/me");
  const sessionId = sessionIdSchema.safeParse(formData.get("session_id"));
  if (!sessionId.success) return;
  await endTaraSessions({ subject: user.subject, sessionId: sessionId.data }, { reason: "ended_by_user", revokedBy: `user:${user.subject}` });
  if (sessionId.data === user.sessionId) {
    await clearWebSession();
    redirect("/signin?ended=1");
  }
  revalidatePath("/me");
}

/** Signs this browser out: ends the TARA session it signed in with (console header, 403 page, /me). */
export async function signOutAction(): Promise<void> {
  const user = await requireUser("/me");
  await endTaraSessions({ subject: user.subject, sessionId: user.sessionId }, { reason: "ended_by_user", revokedBy: `user:${user.subject}` });
  await clearWebSession();
  redirect("/signin?ended=1");
}

/** Ends all of the signed-in person's TARA sessions, this one included. */
export async function endAllSessionsAction(): Promise<void> {
  const user = await requireUser("/me");
  await endTaraSessions({ subject: user.subject }, { reason: "ended_by_user", revokedBy: `user:${user.subject}` });
  await clearWebSession();
  redirect("/signin?ended=1");
}
