import { randomBytes, randomUUID } from "node:crypto";
import { createApiClient } from "@/lib/clients/create";
import type { Scope } from "@/lib/clients/scopes";
import { db } from "@/lib/db/client";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import type { TokenKind } from "@/lib/tokens/kinds";

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
  const seeded: SeededToken[] = [];
  const rows = tokens.map((t) => {
    const kind = t.kind ?? "custom";
    const jwtUuid = randomUUID();
    const id = randomUUID();
    const issuedAt = t.issuedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000);
    const expiresAt = t.expiresAt ?? new Date(issuedAt.getTime() + HOUR);
    const originalJwtUuid = t.extends?.originalJwtUuid ?? jwtUuid;
    seeded.push({ kind, id, jwtUuid, originalJwtUuid, issuedAt, expiresAt });
    const base = {
      id,
      jwtUuid,
      claimKeys: t.claimKeys ?? "sub,role",
      issuedAt,
      expiresAt,
      subject: t.subject === undefined ? `sub-${jwtUuid.slice(0, 8)}` : t.subject,
      jwtName: t.jwtName ?? null,
      audience: t.audience ?? "tim-audience",
      issuer: t.issuer ?? "TIM",
      supersedes: t.extends?.id ?? null,
      originalJwtUuid,
      claimsJson: (t.claims ?? { sub: t.subject ?? null, role: "reader", jti: jwtUuid }) as Prisma.InputJsonValue,
      tokenHash: randomBytes(32).toString("hex"),
      clientId: t.clientId ?? null,
      clientAddress: t.clientAddress ?? null,
      userAgent: t.userAgent ?? null,
    };
    return { kind, base, t };
  });
  const custom = rows.filter((r) => r.kind === "custom");
  const tara = rows.filter((r) => r.kind === "tara");
  if (custom.length) await prisma.customJwtMetadata.createMany({ data: custom.map((r) => ({ ...r.base, tokenType: "custom_jwt" })) });
  if (tara.length) {
    await prisma.taraJwtMetadata.createMany({
      data: tara.map((r) => ({ ...r.base, tokenType: "tara_jwt", authMethod: r.t.authMethod ?? "mID", levelOfAssurance: r.t.loa ?? "high" })),
    });
  }
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
