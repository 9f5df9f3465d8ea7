import { db } from "@/lib/db/client";
import { revokeByJti, type Revocation } from "@/lib/tokens/revoke";

export type SessionSelector = {
  /** The person whose sessions end; a session of someone else is never touched. */
  subject: string;
  /** One session; all of the person's sessions when omitted. */
  sessionId?: string;
};

/**
 * Ends TARA sessions: every live token of them goes to tara.denylist (with
 * the reason and who ended it) and leaves the allowlist, in one transaction.
 * Returns how many tokens were revoked.
 */
export async function endTaraSessions(
  selector: SessionSelector,
  by: Required<Pick<Revocation, "reason" | "revokedBy">> & Pick<Revocation, "requestId" | "sourceAddress">,
): Promise<number> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    const live = await tx.taraJwtMetadata.findMany({
      where: {
        subject: selector.subject,
        ...(selector.sessionId ? { sessionId: selector.sessionId } : { sessionId: { not: null } }),
        expiresAt: { gt: new Date() },
      },
      select: { jwtUuid: true, expiresAt: true },
    });
    let revoked = 0;
    for (const token of live) {
      const outcome = await revokeByJti("tara", { jti: token.jwtUuid, expiresAt: token.expiresAt, ...by }, tx);
      if (outcome === "revoked") revoked++;
    }
    return revoked;
  });
}
