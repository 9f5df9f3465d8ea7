"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { headers } from "next/headers";
import { requireUser, type CurrentUser } from "@/lib/auth/current-user";
import { recordWebSign } from "@/lib/auth/record-web-sign";
import { pageSourceAddress } from "@/lib/http/address";
import { requestIdOf } from "@/lib/http/handler";
import { clearWebSession } from "@/lib/auth/sign-out";
import { endTaraSessions } from "@/lib/tara/end-session";
import { sessionIdSchema } from "@/lib/tara/session";

/** Ends one of the signed-in person's TARA sessions; ending the current one signs this browser out. */
export async function endSessionAction(formData: FormData): Promise<void> {
  const user = await requireUser("/me");
  const sessionId = sessionIdSchema.safeParse(formData.get("session_id"));
  if (!sessionId.success) return;
  await endTaraSessions({ subject: user.subject, sessionId: sessionId.data }, await endedByUser(user));
  if (sessionId.data === user.sessionId) await signedOut(user);
  revalidatePath("/me");
}

/** Who ends the sessions, and from which request and address (kept for the audit trail). */
async function endedByUser(user: CurrentUser) {
  const request = await headers();
  return { reason: "ended_by_user", revokedBy: `user:${user.subject}`, requestId: requestIdOf(request), sourceAddress: pageSourceAddress(request) ?? null };
}

/** Ends this browser's web session after its TARA session(s) ended, recorded as a sign-out. */
async function signedOut(user: CurrentUser): Promise<never> {
  const request = await headers();
  await recordWebSign("web.sign_out", user, { address: pageSourceAddress(request), requestId: requestIdOf(request) });
  await clearWebSession();
  redirect("/signin?ended=1");
}

/** Signs this browser out: ends the TARA session it signed in with (console header, 403 page, /me). */
export async function signOutAction(): Promise<void> {
  const user = await requireUser("/me");
  await endTaraSessions({ subject: user.subject, sessionId: user.sessionId }, await endedByUser(user));
  await signedOut(user);
}

/** Ends all of the signed-in person's TARA sessions, this one included. */
export async function endAllSessionsAction(): Promise<void> {
  const user = await requireUser("/me");
  await endTaraSessions({ subject: user.subject }, await endedByUser(user));
  await signedOut(user);
}
