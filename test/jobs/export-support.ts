import { randomUUID } from "node:crypto";
import { db } from "@/lib/db/client";
import type { TokenKind } from "@/lib/tokens/kinds";
import { hash } from "@/test/jobs/support";
import { insertTokenRows, tokenRow, type TokenRow } from "@/test/support/token-row";

/** `count` custom tokens plus 3 TARA tokens, all with one JWT name; every 7th custom one revoked. */
export async function seedExportTokens(name: string, count: number): Promise<void> {
  const client = await db();
  const expiresAt = new Date(Date.now() + 86_400_000);
  const row = <K extends TokenKind>(i: number, kind: K, fields: Partial<TokenRow<K>> = {}) => {
    const jwtUuid = randomUUID();
    return tokenRow(kind, {
      jwtUuid,
      claimKeys: "sub,role",
      issuedAt: new Date(Date.UTC(2026, 0, 1) + i * 1_000),
      expiresAt,
      subject: `${name}-user-${i}`,
      jwtName: name,
      // a comma, a quote, a newline and a formula: CSV escaping must survive the chunking
      claimsJson: { sub: `${name}-user-${i}`, role: i % 5 === 0 ? '=cmd,"x"\nnext' : "reader" },
      tokenHash: hash(`${kind}-${jwtUuid}`),
      ...fields,
    });
  };
  const custom = Array.from({ length: count }, (_, i) => row(i, "custom", { clientId: "export-client" }));
  await insertTokenRows("custom", custom, client);
  await insertTokenRows(
    "tara",
    Array.from({ length: 3 }, (_, i) => row(count + i, "tara")),
    client,
  );
  await client.customDenylist.createMany({
    data: custom.filter((_, i) => i % 7 === 0).map((r) => ({ jwtUuid: r.jwtUuid, expiresAt: r.expiresAt, reason: "test" })),
  });
}
