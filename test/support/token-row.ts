import { randomBytes, randomUUID } from "node:crypto";
import { db } from "@/lib/db/client";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import { tokenHash } from "@/lib/tokens/hash";
import { KINDS, type TokenKind } from "@/lib/tokens/kinds";

/** A metadata row of `kind` as Prisma writes it (tara rows carry the login columns too). */
export type TokenRow<K extends TokenKind = TokenKind> = K extends "tara"
  ? Prisma.TaraJwtMetadataUncheckedCreateInput
  : Prisma.CustomJwtMetadataUncheckedCreateInput;

const HOUR = 3_600_000;

/**
 * One metadata row of either kind, written by tests straight to the tables (as issuance would leave it).
 * Every field may be given; the rest default to a live token of an hour issued now (whole seconds):
 * its own chain, a random hash, claims `{sub, jti}` and claim keys naming them, a TARA row logged in with
 * mID at level high.
 */
export function tokenRow<K extends TokenKind>(kind: K, given: Partial<TokenRow<K>> = {}): TokenRow<K> & { tokenType: string } {
  // A field given as undefined takes the default (null is a value).
  const fields = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<TokenRow<K>>;
  const jwtUuid = fields.jwtUuid ?? randomUUID();
  const issuedAt = fields.issuedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const subject = fields.subject === undefined ? `sub-${jwtUuid.slice(0, 8)}` : fields.subject;
  const claimsJson = fields.claimsJson ?? { sub: subject, jti: jwtUuid };
  return {
    jwtUuid,
    claimKeys: Object.keys(claimsJson as object).join(","),
    issuedAt,
    expiresAt: new Date(new Date(issuedAt).getTime() + HOUR),
    subject,
    audience: "tim-audience",
    issuer: "TIM",
    originalJwtUuid: jwtUuid,
    claimsJson,
    tokenHash: randomBytes(32).toString("hex"),
    tokenType: KINDS[kind].tokenType,
    ...(kind === "tara" ? { authMethod: "mID", levelOfAssurance: "high" } : {}),
    ...fields,
  } as TokenRow<K> & { tokenType: string };
}

/** What a signed token fixes of its row: its id, times, subject, claims and hash (claim keys follow from the claims). */
export function signedTokenFields(token: string, claims: { jti: string; sub?: string; iat: number; exp: number }) {
  return {
    jwtUuid: claims.jti,
    issuedAt: new Date(claims.iat * 1000),
    expiresAt: new Date(claims.exp * 1000),
    subject: claims.sub,
    claimsJson: claims,
    tokenHash: tokenHash(token),
  };
}

type Client = PrismaClient | Prisma.TransactionClient;

/** The kind's metadata table, one type for both (a TARA row is a custom row plus the login columns). */
function table(prisma: Client, kind: TokenKind) {
  return (kind === "tara" ? prisma.taraJwtMetadata : prisma.customJwtMetadata) as Prisma.TaraJwtMetadataDelegate;
}

/** Writes one row made by `tokenRow` and returns it as stored. */
export async function insertTokenRow<K extends TokenKind>(kind: K, fields: Partial<TokenRow<K>> = {}, client?: Client) {
  return table(client ?? (await db()), kind).create({ data: tokenRow(kind, fields) as TokenRow<"tara"> });
}

/** Writes rows made by `tokenRow` (or by hand) of one kind in one statement. */
export async function insertTokenRows<K extends TokenKind>(kind: K, rows: Array<Partial<TokenRow<K>>>, client?: Client): Promise<void> {
  if (rows.length) await table(client ?? (await db()), kind).createMany({ data: rows.map((r) => tokenRow(kind, r)) as TokenRow<"tara">[] });
}
