import { LRUCache } from "lru-cache";
import { z } from "zod";
import type { ApiCaller } from "@/lib/clients/scopes";
import { batcher } from "@/lib/db/batcher";
import { prepared, runPrepared } from "@/lib/db/prepared";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { countTokens } from "@/lib/metrics/registry";
import { checkToken } from "@/lib/tokens/check";
import { KINDS, TOKEN_KINDS, kindOf, type TokenKind } from "@/lib/tokens/kinds";
import { recordRead } from "@/lib/tokens/reads";
import { storableString } from "@/lib/db/storable";
import { noteRecorded, recordRequired } from "@/lib/tokens/recorded";

export const introspectRequestSchema = z.object({
  token: z.string({ error: "token is required" }).min(1, "token is required"),
  token_type_hint: storableString.max(100).optional(),
  /** Sent by client_secret_post clients (the secret is taken out before this schema sees the body). */
  client_id: storableString.max(200).optional(),
});

export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: Introspection = { active: false };

type ChainMetadata = {
  jwt_name: string | null;
  original_jwt_uuid: string;
  supersedes: string | null;
  /** Seconds since the epoch. */
  created_at: number;
  versions: number;
};

// Each asked token's row and the size of its chain ($1, $2, …: the jtis asked of each kind in TOKEN_KINDS order, as JSON arrays).
const METADATA = prepared(
  "introspect_metadata",
  TOKEN_KINDS.map(
    (kind, i) => `SELECT '${kind}' AS kind, m.jwt_uuid::text AS jti, m.jwt_name, m.original_jwt_uuid::text, m.supersedes::text,
            -- float8: arrives as a JS number (bigint would be a string) and, unlike int, lasts past 2038
            floor(extract(epoch FROM m.created_at))::float8 AS created_at,
            (SELECT count(*)::int FROM ${KINDS[kind].table.metadata} c WHERE c.original_jwt_uuid = m.original_jwt_uuid) AS versions
       FROM ${KINDS[kind].table.metadata} m
      WHERE m.jwt_uuid IN (SELECT t.v::uuid FROM jsonb_array_elements_text($${i + 1}::jsonb) AS t(v))`,
  ).join("\n   UNION ALL\n   "),
);

type Asked = { kind: TokenKind; jti: string };

/** The metadata lookups of concurrent introspections go together: one query per group. */
const lookupMetadata = batcher<Asked, ChainMetadata | undefined>(
  async (items) => {
    const jtisOf = (kind: TokenKind) => JSON.stringify(items.filter((a) => a.kind === kind).map((a) => a.jti));
    const rows = await runPrepared<ChainMetadata & Asked>(METADATA, TOKEN_KINDS.map(jtisOf));
    const byKey = new Map(rows.map((r) => [`${r.kind}:${r.jti}`, r]));
    return items.map((a) => byKey.get(`${a.kind}:${a.jti}`));
  },
  { name: "introspect_lookup", maxSize: 500, maxInFlight: 4 },
);

/**
 * What an introspection adds to the claims never changes while its token is
 * active: metadata rows are insert-only, and a token stops being the newest of
 * its chain (so its extension count stays its own) only by being extended,
 * which denylists it. Once read, a token's metadata is kept in process until
 * the token expires; revocation is still checked on every introspection.
 */
const activeMetadata = new LRUCache<string, ChainMetadata>({ max: 20_000 });

/**
 * RFC 7662 introspection of custom and TARA tokens: every claim of an active
 * token plus its metadata (name, chain root, extension count, predecessor,
 * creation time); `{active: false}` for anything that is not an active TIM token.
 * The hint is not needed: the token's own token_type decides where to look.
 * Validity and revocation are checked as for validation; the metadata is read
 * once per token (grouped with concurrent lookups) and then kept.
 */
export async function introspectToken(token: string): Promise<Introspection> {
  let checked;
  try {
    checked = await checkToken(token);
  } catch (err) {
    const invalid = err instanceof InvalidTokenError;
    countTokens("introspected", "unknown", invalid ? "inactive" : "failed");
    if (invalid) return INACTIVE;
    throw err;
  }
  const { payload, kind } = checked;
  const jti = payload.jti.toLowerCase();
  const key = `${kind}:${jti}`;
  let meta = activeMetadata.get(key);
  if (!meta) {
    meta = await lookupMetadata({ kind, jti }).catch((err: unknown): never => {
      countTokens("introspected", kind, "failed");
      throw err;
    });
    // In sync mode checkToken refused a token without its row already (one that went since is not TIM's to
    // vouch for either); in async mode a fresh token's row may still be on its way: active, as validation says.
    if (!meta) {
      const required = recordRequired();
      countTokens("introspected", kind, required ? "inactive" : "active");
      return required ? INACTIVE : { ...payload, ...extraClaimsOf(payload), active: true };
    }
    activeMetadata.set(key, meta, { ttl: Math.max(1, payload.exp * 1000 - Date.now()) });
    noteRecorded(kind, jti, payload.exp);
  }
  // `active` first: spreading the claims and then overriding keys of theirs made V8 build a slow
  // dictionary-mode object (~7 µs per answer, with its JSON serialisation). Metadata fields win over
  // claims of the same name, and a claim named `active` cannot say otherwise.
  const answer: Introspection = {
    active: true,
    ...payload,
    ...extraClaimsOf(payload),
    jwt_name: meta.jwt_name,
    original_jwt_uuid: meta.original_jwt_uuid,
    extension_count: meta.versions - 1,
    supersedes: meta.supersedes,
    created_at: meta.created_at,
    // TIM's status (lib/tokens/status.ts), under a name of its own: a claim named `status` is the token's own.
    token_status: "active",
  };
  answer.active = true;
  countTokens("introspected", kind, "active");
  return answer;
}

/** The claims TIM 2.0's introspection leaves out of `extra_claims` (it sends them as fields of their own). */
const STANDARD_CLAIMS = new Set(["iss", "sub", "aud", "exp", "iat", "jti", "token_type"]);

/**
 * TIM 2.0's `extra_claims`: every other claim, omitted when there is none (TIM 2.0 answers without null fields).
 * TIM also answers each claim at the top level (RFC 7662 §2.2), so TIM 2.0's clients and standard ones both find them.
 */
function extraClaimsOf(payload: Record<string, unknown>): { extra_claims?: Record<string, unknown> } {
  let extra: Record<string, unknown> | undefined;
  for (const name in payload) {
    if (STANDARD_CLAIMS.has(name)) continue;
    (extra ??= {})[name] = payload[name];
  }
  return extra ? { extra_claims: extra } : {};
}

/** Introspects for an API caller and hands the outcome to the usage and read-audit jobs. */
export async function introspectForCaller(token: string, caller: ApiCaller, requestId: string): Promise<Introspection> {
  const answer = await introspectToken(token);
  const active = answer.active === true;
  recordRead("introspect", caller, requestId, {
    accepted: active,
    kind: active ? (kindOf(answer) ?? null) : null,
    jti: active && typeof answer.jti === "string" ? answer.jti : null,
    result: active ? "active" : "inactive",
  });
  return answer;
}
