import type { JWTPayload } from "jose";
import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";

export type DbTx = PrismaClient | Prisma.TransactionClient;

/**
 * The two token kinds TIM issues, each in its own schema (custom.*, tara.*).
 * The kind is what events, job payloads, reports and the console call it; its
 * `tokenType` is what the token's claim and metadata row carry.
 */
export const TOKEN_KINDS = ["custom", "tara"] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** One metadata column: its name, the field a row carries it in (JSON, Prisma), its SQL type, and whether a row may omit it. */
export type MetadataColumn = {
  readonly column: string;
  readonly field: string;
  readonly sqlType: "uuid" | "text" | "timestamptz" | "jsonb" | "boolean" | "inet";
  readonly nullable: boolean;
  /** SQL used when a row omits the field. */
  readonly default?: string;
};

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const column = (name: string, sqlType: MetadataColumn["sqlType"], nullable = false, dflt?: string): MetadataColumn =>
  Object.freeze({ column: name, field: camel(name), sqlType, nullable, default: dflt });

/** Columns of every metadata row, in table order; `token_type` defaults to the kind's own. */
const sharedColumns = (tokenType: string): MetadataColumn[] => [
  column("id", "uuid", false, "gen_random_uuid()"),
  column("jwt_uuid", "uuid"),
  column("created_at", "timestamptz", false, "now()"),
  column("claim_keys", "text"),
  column("issued_at", "timestamptz"),
  column("expires_at", "timestamptz"),
  column("subject", "text", true),
  column("jwt_name", "text", true),
  column("audience", "text", true),
  column("issuer", "text", true),
  column("supersedes", "uuid", true),
  column("original_jwt_uuid", "uuid"),
  // NULL only on rows imported from TIM 2.0, which stored neither (a CHECK holds every other row to both).
  column("claims_json", "jsonb"),
  column("token_hash", "text"),
  column("token_type", "text", false, `'${tokenType}'`),
  column("client_id", "text", true),
];

/** What a TARA row records of the login beyond the shared columns; an extension carries it along unchanged. */
const TARA_LOGIN_COLUMNS = [
  ...["auth_method", "level_of_assurance", "session_id", "oauth_state_id", "given_name", "family_name"].map((name) => column(name, "text", true)),
  // TARA's contact claims (TARA spec §4.1.2 scope email, §4.1.3 scope phone), when TARA issued them.
  column("email", "text", true),
  column("email_verified", "boolean", true),
  column("phone_number", "text", true),
  column("phone_number_verified", "boolean", true),
];

/** Where a token came from: the asking client's address and User-Agent (NULL when TIM's server did not know them). */
export const ORIGIN_COLUMNS = [column("client_address", "inet", true), column("user_agent", "text", true)];

/**
 * Columns after each kind's own ones (added later, so last in table order). `imported_from` marks a row
 * TIM did not issue but imported ("tim2": TIM 2.0; lib/migration-tim2/): it has no claims_json and no
 * token_hash. An extension does not carry it along: the new token is TIM's own.
 * `client_address` and `user_agent`: where the token came from (lib/tokens/origin.ts); an extension
 * records the extender's, not the previous version's.
 */
const TRAILING_COLUMNS = [column("imported_from", "text", true), ...ORIGIN_COLUMNS];

/** Where imported rows came from (the value of `imported_from`). */
export const IMPORT_SOURCES = { tim2: "tim2" } as const;

/** Usage counters, kept beside the insert-only metadata row (per kind's token_usage) and archived with it. */
export const USAGE_COLUMNS = ["use_count", "last_used_at"] as const;

export type KindDescription = {
  readonly kind: TokenKind;
  readonly tokenType: string;
  /** Every metadata column, the shared ones first, then the kind's own, then the trailing ones (imported_from). */
  readonly columns: readonly MetadataColumn[];
  /** The columns only this kind has. */
  readonly ownColumns: readonly MetadataColumn[];
  /** Schema-qualified table names, for statement text built once at load. */
  readonly table: { readonly metadata: string; readonly denylist: string; readonly allowlist: string; readonly usage: string; readonly archive: string };
  /** The same names as SQL fragments for Prisma's tagged templates. */
  readonly sql: { readonly [T in keyof KindDescription["table"]]: Prisma.Sql };
};

function describe<K extends TokenKind, T extends string>(kind: K, tokenType: T, own: MetadataColumn[]) {
  const table = {
    metadata: `${kind}.jwt_metadata`,
    denylist: `${kind}.denylist`,
    allowlist: `${kind}.allowlist`,
    usage: `${kind}.token_usage`,
    archive: `${kind}.jwt_metadata_archive`,
  };
  const sql = {
    metadata: Prisma.raw(table.metadata),
    denylist: Prisma.raw(table.denylist),
    allowlist: Prisma.raw(table.allowlist),
    usage: Prisma.raw(table.usage),
    archive: Prisma.raw(table.archive),
  };
  const description = { kind, tokenType, columns: [...sharedColumns(tokenType), ...own, ...TRAILING_COLUMNS], ownColumns: own, table, sql };
  return Object.freeze(description) satisfies KindDescription;
}

export const KINDS = {
  custom: describe("custom", "custom_jwt", []),
  tara: describe("tara", "tara_jwt", TARA_LOGIN_COLUMNS),
} as const satisfies Record<TokenKind, KindDescription>;

/** A value per kind, made from each kind's description (statements, batchers, caches). */
export function byKind<T>(make: (kind: KindDescription) => T): Record<TokenKind, T> {
  return { custom: make(KINDS.custom), tara: make(KINDS.tara) };
}

export const TOKEN_TYPE = { custom: KINDS.custom.tokenType, tara: KINDS.tara.tokenType } as const;

export const TOKEN_TYPE_DESCRIPTIONS: Record<(typeof TOKEN_TYPE)[TokenKind], string> = {
  [KINDS.custom.tokenType]: "Custom JWT issued through the token API (POST /jwt/custom/generate) with caller-chosen claims.",
  [KINDS.tara.tokenType]: "TIM TARA JWT issued after a login through TARA, Estonia's national authentication service.",
};

/**
 * GET /introspect/types, as TIM 2.0 answers it: each token_type mapped to the validator that introspects it
 * (TIM 2.0's Java class names; TIM 2.0 registered only `custom_jwt`).
 */
export const TOKEN_TYPE_VALIDATORS: Record<(typeof TOKEN_TYPE)[TokenKind], string> = {
  [KINDS.custom.tokenType]: "CustomJwtTokenValidator",
  [KINDS.tara.tokenType]: "TaraJwtTokenValidator",
};

/** The kind named by a verified token's `token_type` claim. */
export function kindOf(payload: JWTPayload): TokenKind | undefined {
  return TOKEN_KINDS.find((k) => KINDS[k].tokenType === payload.token_type);
}

export function isTokenKind(value: unknown): value is TokenKind {
  return TOKEN_KINDS.includes(value as TokenKind);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}
