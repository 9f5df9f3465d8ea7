/** A token's state as the API reports it; revocation wins over expiry (seed 003). */
export type TokenStatus = "active" | "expired" | "revoked";

export function tokenStatus(expiresAt: Date, revoked: boolean, now = Date.now()): TokenStatus {
  if (revoked) return "revoked";
  return expiresAt.getTime() <= now ? "expired" : "active";
}
