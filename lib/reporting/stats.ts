import { db } from "@/lib/db/client";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import { recentQueryPerformance, timedQuery, type QueryPerformance } from "@/lib/metrics/registry";
import { healthChecks, type HealthCheck } from "@/lib/reporting/health";
import { denylistOf, metadataOf } from "@/lib/reporting/query";
import type { TokenKind } from "@/lib/tokens/kinds";

/** The dashboard figures (also GET /api/reports/stats), over the last 30 days unless said otherwise. */
export type DashboardStats = {
  generated_at: string;
  window_days: number;
  issued_per_day: { day: string; custom: number; tara: number }[];
  revocation: { issued: number; revoked: number; revoked_by_extension: number; rate: number | null };
  average_lifetime_hours: { custom: number | null; tara: number | null; all: number | null };
  claim_combinations: { kind: TokenKind; claim_keys: string; tokens: number }[];
  extensions: { chains: number; extended_chains: number; extensions: number; longest_chain: number; distribution: { extensions: number; chains: number }[] };
  health: HealthCheck[];
  query_performance: QueryPerformance[];
};

const KINDS: TokenKind[] = ["custom", "tara"];
export const STATS_WINDOW_DAYS = 30;
const TOP_COMBINATIONS = 10;

type Client = PrismaClient | Prisma.TransactionClient;

function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

async function kindFigures(prisma: Client, kind: TokenKind, since: Date) {
  const m = metadataOf(kind);
  const d = denylistOf(kind);
  const [perDay, [totals], combos, chains] = await Promise.all([
    prisma.$queryRaw<{ day: string; n: bigint }[]>`
      SELECT to_char(m.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS n
        FROM ${m} m WHERE m.issued_at >= ${since}::timestamptz GROUP BY 1`,
    prisma.$queryRaw<[{ issued: bigint; revoked: bigint; by_extension: bigint; lifetime_s: number | null; lifetime_n: bigint }]>`
      SELECT count(*) AS issued,
             count(dl.jwt_uuid) AS revoked,
             count(dl.jwt_uuid) FILTER (WHERE dl.reason = 'extended') AS by_extension,
             sum(EXTRACT(EPOCH FROM (m.expires_at - m.issued_at)))::float8 AS lifetime_s,
             count(*) AS lifetime_n
        FROM ${m} m LEFT JOIN ${d} dl ON dl.jwt_uuid = m.jwt_uuid
       WHERE m.issued_at >= ${since}::timestamptz`,
    prisma.$queryRaw<{ claim_keys: string; n: bigint }[]>`
      SELECT m.claim_keys, count(*) AS n FROM ${m} m WHERE m.issued_at >= ${since}::timestamptz
       GROUP BY m.claim_keys ORDER BY count(*) DESC, m.claim_keys LIMIT ${TOP_COMBINATIONS}`,
    prisma.$queryRaw<{ extensions: number; chains: bigint }[]>`
      SELECT c.versions - 1 AS extensions, count(*) AS chains
        FROM (SELECT m.original_jwt_uuid, count(*)::int AS versions FROM ${m} m
               WHERE m.original_jwt_uuid IN (SELECT o.original_jwt_uuid FROM ${m} o WHERE o.issued_at >= ${since}::timestamptz)
               GROUP BY m.original_jwt_uuid) c
       GROUP BY 1 ORDER BY 1`,
  ]);
  return { perDay, totals, combos, chains };
}

const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

export async function dashboardStats(client?: Client, now = new Date()): Promise<DashboardStats> {
  const prisma = client ?? (await db());
  return timedQuery("stats", async () => {
    const firstDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (STATS_WINDOW_DAYS - 1)));
    const [custom, tara, health, performance] = await Promise.all([
      kindFigures(prisma, "custom", firstDay),
      kindFigures(prisma, "tara", firstDay),
      healthChecks(prisma),
      recentQueryPerformance(["search", "count", "export", "stats"]),
    ]);
    const byKind = { custom, tara };

    const days = Array.from({ length: STATS_WINDOW_DAYS }, (_, i) => utcDay(new Date(firstDay.getTime() + i * 86_400_000)));
    const issued_per_day = days.map((day) => ({
      day,
      custom: Number(custom.perDay.find((r) => r.day === day)?.n ?? 0),
      tara: Number(tara.perDay.find((r) => r.day === day)?.n ?? 0),
    }));

    const sum = (f: (k: (typeof byKind)[TokenKind]) => number) => KINDS.reduce((acc, k) => acc + f(byKind[k]), 0);
    const issued = sum((k) => Number(k.totals.issued));
    const revoked = sum((k) => Number(k.totals.revoked));
    const hours = (seconds: number | null, n: number) => (n === 0 || seconds === null ? null : Math.round((seconds / n / 3600) * 100) / 100);

    const distribution = new Map<number, number>();
    for (const k of KINDS) for (const c of byKind[k].chains) distribution.set(c.extensions, (distribution.get(c.extensions) ?? 0) + Number(c.chains));
    const dist = [...distribution.entries()].sort((a, b) => a[0] - b[0]).map(([extensions, chains]) => ({ extensions, chains }));

    return {
      generated_at: now.toISOString(),
      window_days: STATS_WINDOW_DAYS,
      issued_per_day,
      revocation: {
        issued,
        revoked,
        revoked_by_extension: sum((k) => Number(k.totals.by_extension)),
        rate: ratio(revoked, issued),
      },
      average_lifetime_hours: {
        custom: hours(custom.totals.lifetime_s, Number(custom.totals.lifetime_n)),
        tara: hours(tara.totals.lifetime_s, Number(tara.totals.lifetime_n)),
        all: hours((custom.totals.lifetime_s ?? 0) + (tara.totals.lifetime_s ?? 0), issued),
      },
      claim_combinations: KINDS.flatMap((kind) => byKind[kind].combos.map((c) => ({ kind, claim_keys: c.claim_keys, tokens: Number(c.n) })))
        .sort((a, b) => b.tokens - a.tokens)
        .slice(0, TOP_COMBINATIONS),
      extensions: {
        chains: dist.reduce((a, x) => a + x.chains, 0),
        extended_chains: dist.filter((x) => x.extensions > 0).reduce((a, x) => a + x.chains, 0),
        extensions: dist.reduce((a, x) => a + x.extensions * x.chains, 0),
        longest_chain: dist.length ? dist[dist.length - 1].extensions + 1 : 0,
        distribution: dist,
      },
      health,
      query_performance: performance,
    };
  });
}
