import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { authOptions } from "@/lib/auth/options";
import { roleFor, type Role } from "@/lib/auth/roles";
import { findTaraSession } from "@/lib/tara/session";

export type CurrentUser = { subject: string; name: string; role: Role; sessionId: string };

/**
 * The signed-in person of this request (server components and actions), or
 * null. The web session only counts while its TARA session is active: ending
 * or revoking the TARA session signs the browser out at once. The role is
 * read (TIM_ADMIN_SUBJECTS, tim.administrators) on every request.
 */
export async function currentUser(): Promise<CurrentUser | null> {
  const session = await getServerSession(authOptions());
  const subject = session?.user?.subject;
  const sessionId = session?.user?.sessionId;
  if (!subject || !sessionId) return null;
  const tara = await findTaraSession(sessionId);
  if (tara?.status !== "active" || tara.subject !== subject) return null;
  return { subject, name: session.user.name ?? subject, role: await roleFor(subject), sessionId };
}

/** The signed-in person, or a redirect to the sign-in page that returns to `path`. */
export async function requireUser(path: string): Promise<CurrentUser> {
  const user = await currentUser();
  if (!user) redirect(`/signin?callbackUrl=${encodeURIComponent(path)}`);
  return user;
}
