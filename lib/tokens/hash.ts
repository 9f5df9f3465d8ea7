import { createHash } from "node:crypto";

/** Lowercase hex SHA-256 of the compact token: what TIM stores instead of the token. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
