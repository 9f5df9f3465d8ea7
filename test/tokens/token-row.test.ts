import { expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { TOKEN_KINDS } from "@/lib/tokens/kinds";
import { insertTokenRow, tokenRow } from "@/test/support/token-row";

// The tests' one factory of metadata rows (test/support/token-row.ts) writes rows the tables take, for both kinds.

test.each(TOKEN_KINDS)("a %s row with no fields given is a live hour-long token of its own chain, stored as made", async (kind) => {
  const made = await insertTokenRow(kind);
  const prisma = await db();
  const where = { where: { jwtUuid: made.jwtUuid } };
  const stored = kind === "tara" ? await prisma.taraJwtMetadata.findUniqueOrThrow(where) : await prisma.customJwtMetadata.findUniqueOrThrow(where);
  expect(stored).toMatchObject({
    originalJwtUuid: made.jwtUuid,
    tokenType: kind === "tara" ? "tara_jwt" : "custom_jwt",
    claimKeys: "sub,jti",
    claimsJson: { sub: stored.subject, jti: made.jwtUuid },
    audience: "tim-audience",
    issuer: "TIM",
    supersedes: null,
  });
  expect(stored.expiresAt.getTime() - stored.issuedAt.getTime()).toBe(3_600_000);
  if (kind === "tara") expect(stored).toMatchObject({ authMethod: "mID", levelOfAssurance: "high" });
});

test("a field given as undefined takes the default; null is kept", () => {
  const row = tokenRow("custom", { subject: null, audience: undefined, claimsJson: { sub: "x", role: "r" } });
  expect(row).toMatchObject({ subject: null, audience: "tim-audience", claimKeys: "sub,role" });
  expect("authMethod" in row).toBe(false);
});
