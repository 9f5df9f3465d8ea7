import type { ApiRequest } from "@/lib/http/handler";
import { getToken } from "next-auth/jwt";
import { administratorActor, type AuditActor } from "@/lib/audit/actors";
import { currentUser, type CurrentUser } from "@/lib/auth/current-user";
import { roleFor } from "@/lib/auth/roles";
import { authSecret } from "@/lib/auth/secret";
import { config } from "@/lib/config/env";
import { sourceAddress } from "@/lib/http/address";
import { cookieJar } from "@/lib/http/cookies";
import { TimError } from "@/lib/http/errors";
import { findTaraSession } from "@/lib/tara/session";

export type Administrator = { subject: string; name: string; actor: AuditActor; revokedBy: string };

function administrator(user: { subject: string; name: string }, address: string | undefined): Administrator {
  return { subject: user.subject, name: user.name, actor: administratorActor(user.subject, address), revokedBy: `admin:${user.subject}` };
}

/**
 * The administrator behind a server action. Actions are reachable by POST
 * from anywhere, so each one checks again rather than trusting the page.
 * `address`: where the action came from, for its audit rows.
 */
export async function requireAdmin(address?: string): Promise<Administrator> {
  const user: CurrentUser | null = await currentUser();
  if (!user) throw new TimError("unauthorized", "Sign in as an administrator first.");
  if (user.role !== "admin") throw new TimError("forbidden", "Administrators only.");
  return administrator(user, address);
}

/**
 * The administrator behind a console route handler (downloads), from the
 * next-auth session cookie, with the same rules as the pages: the TARA
 * session must still be active and the subject an administrator (lib/auth/roles.ts).
 */
export async function adminFromRequest(req: ApiRequest): Promise<Administrator> {
  const token = await getToken({
    req: { cookies: cookieJar(req.headers.get("cookie")), headers: {} } as unknown as Parameters<typeof getToken>[0]["req"],
    secret: authSecret(),
    secureCookie: config().secureCookies,
  });
  const subject = token?.sub;
  const sessionId = token?.sid;
  if (!subject || !sessionId) throw new TimError("unauthorized", "Sign in as an administrator first.");
  const tara = await findTaraSession(sessionId);
  if (tara?.status !== "active" || tara.subject !== subject) {
    throw new TimError("unauthorized", "Your session has ended; sign in again.");
  }
  if ((await roleFor(subject)) !== "admin") throw new TimError("forbidden", "Administrators only.");
  return administrator({ subject, name: typeof token.name === "string" ? token.name : subject }, sourceAddress(req));
}
