import { randomUUID } from "node:crypto";
import { createApiClient } from "@/lib/clients/create";
import type { Scope } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import { TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";
import { insertTokenRows, tokenRow } from "@/test/support/token-row";

/** Metadata rows written straight to the tables, as issuance would leave them, for reporting tests. */
export type SeedToken = {
  kind?: TokenKind;
  subject?: string | null;
  jwtName?: string | null;
  issuedAt?: Date;
  expiresAt?: Date;
  claimKeys?: string;
  audience?: string;
  issuer?: string;
  clientId?: string | null;
  authMethod?: string;
  loa?: string;
  revoked?: { reason?: string; at?: Date };
  /** Builds an extension chain: the new row supersedes this seeded one. */
  extends?: SeededToken;
  claims?: Record<string, unknown>;
  clientAddress?: string;
  userAgent?: string;
};

export type SeededToken = { kind: TokenKind; id: string; jwtUuid: string; originalJwtUuid: string; issuedAt: Date; expiresAt: Date };

const HOUR = 3_600_000;

export async function seedTokens(tokens: SeedToken[], client?: PrismaClient): Promise<SeededToken[]> {
  const prisma = client ?? (await db());
  const rows = tokens.map((t) => {
    const kind = t.kind ?? "custom";
    const jwtUuid = randomUUID();
    const row = tokenRow<TokenKind>(kind, {
      id: randomUUID(),
      jwtUuid,
      claimKeys: t.claimKeys ?? "sub,role",
      issuedAt: t.issuedAt,
      expiresAt: t.expiresAt,
      subject: t.subject,
      jwtName: t.jwtName ?? null,
      audience: t.audience,
      issuer: t.issuer,
      supersedes: t.extends?.id ?? null,
      originalJwtUuid: t.extends?.originalJwtUuid,
      claimsJson: (t.claims ?? { sub: t.subject ?? null, role: "reader", jti: jwtUuid }) as Prisma.InputJsonValue,
      clientId: t.clientId ?? null,
      clientAddress: t.clientAddress ?? null,
      userAgent: t.userAgent ?? null,
      ...(kind === "tara" ? { authMethod: t.authMethod, levelOfAssurance: t.loa } : {}),
    });
    return { kind, row, t };
  });
  const seeded: SeededToken[] = rows.map(({ kind, row }) => ({
    kind,
    id: row.id!,
    jwtUuid: row.jwtUuid,
    originalJwtUuid: row.originalJwtUuid,
    issuedAt: row.issuedAt as Date,
    expiresAt: row.expiresAt as Date,
  }));
  for (const kind of TOKEN_KINDS)
    await insertTokenRows(
      kind,
      rows.filter((r) => r.kind === kind).map((r) => r.row),
      prisma,
    );
  const revoked = (kind: TokenKind) =>
    rows.flatMap((r, i) =>
      r.kind === kind && r.t.revoked
        ? [{ jwtUuid: seeded[i].jwtUuid, expiresAt: seeded[i].expiresAt, reason: r.t.revoked.reason ?? "test", denylistedAt: r.t.revoked.at ?? new Date() }]
        : [],
    );
  if (revoked("custom").length) await prisma.customDenylist.createMany({ data: revoked("custom") });
  if (revoked("tara").length) await prisma.taraDenylist.createMany({ data: revoked("tara") });
  return seeded;
}

export type ReportClient = { clientId: string; auth: string };

export async function reportClient(scopes: Scope[] = ["reports:read"]): Promise<ReportClient> {
  const created = await createApiClient({ clientId: `reports-${randomUUID()}`, name: "reports test", scopes });
  return { clientId: created.clientId, auth: `Basic ${Buffer.from(`${created.clientId}:${created.clientSecret}`).toString("base64")}` };
}

export const hoursFromNow = (h: number) => new Date(Math.floor((Date.now() + h * HOUR) / 1000) * 1000);
export const unique = (prefix: string) => `${prefix}-${randomUUID()}`;
