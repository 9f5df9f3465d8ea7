import { randomUUID } from "node:crypto";
import { encode } from "next-auth/jwt";
import { db } from "@/lib/db/client";
import { hash } from "@/test/jobs/support";

/**
 * A signed-in administrator for console routes, as TIM sees one: an active
 * TARA session of `subject` in the database and the next-auth session cookie
 * naming it, sealed with `secret`. `subject` must be in TIM_ADMIN_SUBJECTS.
 */
export async function adminSessionCookie(subject: string, secret: string, secure: boolean): Promise<string> {
  const sessionId = randomUUID();
  const jwtUuid = randomUUID();
  await (await db()).taraJwtMetadata.create({
    data: {
      jwtUuid,
      claimKeys: "sub",
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + 3_600_000),
      subject,
      jwtName: "TARA",
      audience: "tim-audience",
      issuer: "TIM",
      originalJwtUuid: jwtUuid,
      claimsJson: { sub: subject },
      tokenHash: hash(`tara-${jwtUuid}`),
      authMethod: "mID",
      levelOfAssurance: "high",
      sessionId,
    },
  });
  const token = await encode({ token: { sub: subject, sid: sessionId, name: subject }, secret });
  return `${secure ? "__Secure-" : ""}next-auth.session-token=${token}`;
}
