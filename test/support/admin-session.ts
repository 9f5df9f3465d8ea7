import { randomUUID } from "node:crypto";
import { encode } from "next-auth/jwt";
import { hash } from "@/test/jobs/support";
import { insertTokenRow } from "@/test/support/token-row";

/**
 * A signed-in administrator for console routes, as TIM sees one: an active
 * TARA session of `subject` in the database and the next-auth session cookie
 * naming it, sealed with `secret`. `subject` must be in TIM_ADMIN_SUBJECTS.
 */
export async function adminSessionCookie(subject: string, secret: string, secure: boolean): Promise<string> {
  const sessionId = randomUUID();
  const jwtUuid = randomUUID();
  await insertTokenRow("tara", {
    jwtUuid,
    claimKeys: "sub",
    issuedAt: new Date(),
    subject,
    jwtName: "TARA",
    claimsJson: { sub: subject },
    tokenHash: hash(`tara-${jwtUuid}`),
    sessionId,
  });
  const token = await encode({ token: { sub: subject, sid: sessionId, name: subject }, secret });
  return `${secure ? "__Secure-" : ""}next-auth.session-token=${token}`;
}
