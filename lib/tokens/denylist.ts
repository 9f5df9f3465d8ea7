import { batcher } from "@/lib/db/batcher";
import { prepared, runPrepared } from "@/lib/db/prepared";
import { gaugeOnScrape } from "@/lib/metrics/registry";
import { denylistIsLive, keyOf, liveSetAnswer } from "@/lib/tokens/denylist-set";
import { KINDS, TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";

/**
 * Revocation checks: the in-process set (lib/tokens/denylist-set.ts) where it
 * answers, else the database, the checks of concurrent requests grouped into
 * one query, so that a revocation committed on any instance before a check
 * began is always refused. Fails closed: a database failure propagates (503).
 */

// Of the asked tokens ($1, $2, …: those of each kind in TOKEN_KINDS order, as JSON arrays of {jti (lowercase), row}),
// those that are denylisted, or (where `row` asks for it) have no metadata row. One primary-key probe per asked jti
// (scalar subqueries): written as IN or EXISTS, the planner may hash-join the whole denylist for every
// lookup, a cost that grows with the denylist.
const LOOKUP = prepared(
  "denylist_probe",
  TOKEN_KINDS.map(
    (kind, i) => `SELECT '${kind}' AS kind, t.jti, r.revoked FROM jsonb_to_recordset($${i + 1}::jsonb) AS t(jti text, "row" boolean)
     CROSS JOIN LATERAL (SELECT (SELECT true FROM ${KINDS[kind].table.denylist} d WHERE d.jwt_uuid = t.jti::uuid) IS NOT NULL AS revoked,
            (NOT t."row" OR (SELECT true FROM ${KINDS[kind].table.metadata} m WHERE m.jwt_uuid = t.jti::uuid) IS NOT NULL) AS recorded) r
    WHERE r.revoked OR NOT r.recorded`,
  ).join("\n   UNION ALL\n   "),
);

type Lookup = { kind: TokenKind; jti: string; row: boolean };

/** What the denylist, and where asked the metadata table, say of a token. */
export type TokenStanding = "revoked" | "unrecorded" | "ok";

/**
 * Database checks of concurrent validations go together: one query per group,
 * so a revocation committed anywhere before a check began is always seen.
 */
const lookupStanding = batcher<Lookup, TokenStanding>(
  async (asked) => {
    const ofKind = (kind: TokenKind) => JSON.stringify(asked.filter((a) => a.kind === kind).map(({ jti, row }) => ({ jti, row })));
    const rows = await runPrepared<{ kind: TokenKind; jti: string; revoked: boolean }>(LOOKUP, TOKEN_KINDS.map(ofKind));
    const found = new Map(rows.map((r) => [keyOf(r.kind, r.jti), r.revoked ? ("revoked" as const) : ("unrecorded" as const)]));
    return asked.map((a) => found.get(keyOf(a.kind, a.jti)) ?? "ok");
  },
  { name: "denylist_lookup", maxSize: 500, maxInFlight: 4 },
);

/**
 * Whether the token `jti` of `kind` is on the denylist, and, with
 * `needRecord`, whether its metadata row exists: a revoked token in the live
 * set is refused at once; otherwise the set answers where it is authoritative
 * (PGlite) and no row is asked for, and the database does (grouped lookups)
 * elsewhere.
 */
export async function tokenStanding(kind: TokenKind, jti: string, needRecord: boolean): Promise<TokenStanding> {
  const answer = liveSetAnswer(keyOf(kind, jti));
  if (answer === "revoked") return "revoked";
  if (answer === "absent" && !needRecord) return "ok";
  return lookupStanding({ kind, jti: jti.toLowerCase(), row: needRecord });
}

/**
 * Whether the live set already holds this revocation: true is final, false
 * is not an answer (the caller reads the denylist row itself, as extension
 * does in its one statement).
 */
export function knownRevoked(kind: TokenKind, jti: string): boolean {
  return liveSetAnswer(keyOf(kind, jti)) === "revoked";
}

gaugeOnScrape(
  "tim_denylist_listener_up",
  "1 while the denylist listener is live (revocation checks answered in-process), else 0 (checks go to the database).",
  () => (denylistIsLive() ? 1 : 0),
);
