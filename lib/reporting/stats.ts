import { z } from "zod";
import { db } from "@/lib/db/client";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { recentQueryPerformance, timedQuery, type QueryPerformance } from "@/lib/metrics/registry";
import { healthChecks, type HealthCheck } from "@/lib/reporting/health";
import { KINDS, TOKEN_KINDS } from "@/lib/tokens/kinds";
import {
  STATS_WINDOWS,
  STATS_WINDOW_DAYS,
  daysBetween,
  type StatsWindow,
  ensureRolledUp,
  firstLiveDay,
  firstWindowDay,
  utcDay,
} from "@/lib/reporting/stats-rollup";
import type { TokenKind } from "@/lib/tokens/kinds";

/**
 * The dashboard figures (also GET /api/reports/stats), over the last `days` days (7, 30 or 90; 30 by default).
 * Tokens issued per day, claim combinations and lifetimes of days before `live_from` come from the
 * daily rollup (lib/reporting/stats-rollup.ts); the rest is computed on each call.
 */
export type DashboardStats = {
  generated_at: string;
  window_days: number;
  /** First UTC day counted live; earlier days are as rolled up (refreshed nightly for the last 3 days). */
  live_from: string;
  issued_per_day: { day: string; custom: number; tara: number }[];
  /** Tokens issued in the window, revocations made in it (denylist rows), and their ratio (seed 001's revocation rate). */
  revocation: { issued: number; revoked: number; revoked_by_extension: number; rate: number | null };
  average_lifetime_hours: { custom: number | null; tara: number | null; all: number | null };
  claim_combinations: { kind: TokenKind; claim_keys: string; tokens: number }[];
  extensions: { chains: number; extended_chains: number; extensions: number; longest_chain: number; distribution: { extensions: number; chains: number }[] };
  health: HealthCheck[];
  query_performance: QueryPerformance[];
};

const TOP_COMBINATIONS = 10;

/** Tokens issued, summed lifetimes, per UTC day and claim combination. */
type DayRow = { day: string; claim_keys: string; n: bigint | number; lifetime_s: number | null };

/**
 * Figures of one kind: per-day counts of closed days from the rollup, the
 * rest live; revocations and extension chains live, from the (small) sets of
 * denylist and extension rows of the window rather than every token in it.
 */
async function kindFigures(prisma: PrismaClient, kind: TokenKind, firstDay: string, liveDay: string) {
  const m = KINDS[kind].sql.metadata;
  const d = KINDS[kind].sql.denylist;
  const since = new Date(`${firstDay}T00:00:00Z`);
  const [rolled, live, [revocations], [extensionRows], chains] = await Promise.all([
    prisma.$queryRaw<DayRow[]>`
      SELECT s.day, s.claim_keys, s.issued AS n, s.lifetime_s FROM tim.stats_daily s
       WHERE s.kind = ${kind} AND s.day >= ${firstDay} AND s.day < ${liveDay}`,
    prisma.$queryRaw<DayRow[]>`
      SELECT to_char(m.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, m.claim_keys, count(*) AS n,
             sum(EXTRACT(EPOCH FROM (m.expires_at - m.issued_at)))::float8 AS lifetime_s
        FROM ${m} m WHERE m.issued_at >= ${new Date(`${liveDay}T00:00:00Z`)}::timestamptz GROUP BY 1, 2`,
    // Seed 001's revocation rate: revocations made in the window over tokens issued in it (no join with every token).
    prisma.$queryRaw<[{ revoked: bigint; by_extension: bigint }]>`
      SELECT count(*) AS revoked, count(*) FILTER (WHERE dl.reason = 'extended') AS by_extension
        FROM ${d} dl WHERE dl.denylisted_at >= ${since}::timestamptz`,
    prisma.$queryRaw<[{ n: bigint }]>`
      SELECT count(*) AS n FROM ${m} e WHERE e.supersedes IS NOT NULL AND e.issued_at >= ${since}::timestamptz`,
    // Extended chains with a version in the window all have an extension row in it (extensions follow their root).
    prisma.$queryRaw<{ extensions: number; chains: bigint; rooted: bigint }[]>`
      SELECT c.versions - 1 AS extensions, count(*) AS chains, count(*) FILTER (WHERE c.root_in_window) AS rooted
        FROM (SELECT v.original_jwt_uuid, count(*)::int AS versions,
                     bool_or(v.supersedes IS NULL AND v.issued_at >= ${since}::timestamptz) AS root_in_window
                FROM ${m} v
               WHERE v.original_jwt_uuid IN (SELECT e.original_jwt_uuid FROM ${m} e
                                              WHERE e.supersedes IS NOT NULL AND e.issued_at >= ${since}::timestamptz)
               GROUP BY v.original_jwt_uuid) c
       GROUP BY 1 ORDER BY 1`,
  ]);
  const days = [...rolled, ...live].map((r) => ({ ...r, n: Number(r.n) }));
  const issued = days.reduce((a, r) => a + r.n, 0);
  const combos = new Map<string, number>();
  for (const r of days) combos.set(r.claim_keys, (combos.get(r.claim_keys) ?? 0) + r.n);
  // Chains without extensions: tokens of the window that are neither an extension nor the root of an extended chain.
  const unextended = issued - Number(extensionRows.n) - chains.reduce((a, c) => a + Number(c.rooted), 0);
  return {
    days,
    issued,
    lifetimeSeconds: days.reduce((a, r) => a + (r.lifetime_s ?? 0), 0),
    revoked: Number(revocations.revoked),
    byExtension: Number(revocations.by_extension),
    combos: [...combos.entries()].map(([claim_keys, n]) => ({ claim_keys, n })),
    chains: [
      ...(unextended > 0 ? [{ extensions: 0, chains: unextended }] : []),
      ...chains.map((c) => ({ extensions: c.extensions, chains: Number(c.chains) })),
    ],
  };
}

/** `?days=7|30|90` of GET /api/reports/stats and the dashboard. */
export const statsQuerySchema = z.object({
  days: z
    .preprocess((v) => (v === undefined || v === "" ? undefined : Number(v)), z.literal(STATS_WINDOWS, { error: `days is one of ${STATS_WINDOWS.join(", ")}` }))
    .optional(),
});

const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

export async function dashboardStats(client?: PrismaClient, now = new Date(), days: StatsWindow = STATS_WINDOW_DAYS): Promise<DashboardStats> {
  const prisma = client ?? (await db());
  return timedQuery("stats", async () => {
    const firstDay = firstWindowDay(now, days);
    const liveDay = firstLiveDay(now) < firstDay ? firstDay : firstLiveDay(now);
    await ensureRolledUp(prisma, firstDay, now);
    const [custom, tara, health, performance] = await Promise.all([
      kindFigures(prisma, "custom", firstDay, liveDay),
      kindFigures(prisma, "tara", firstDay, liveDay),
      healthChecks(prisma),
      recentQueryPerformance(["search", "count", "export", "stats"]),
    ]);
    const byKind = { custom, tara };

    const perDay = (k: TokenKind, day: string) => byKind[k].days.reduce((a, r) => (r.day === day ? a + r.n : a), 0);
    const issued_per_day = daysBetween(firstDay, utcDay(new Date(now.getTime() + 86_400_000))).map((day) => ({
      day,
      custom: perDay("custom", day),
      tara: perDay("tara", day),
    }));

    const sum = (f: (k: (typeof byKind)[TokenKind]) => number) => TOKEN_KINDS.reduce((acc, k) => acc + f(byKind[k]), 0);
    const issued = sum((k) => k.issued);
    const revoked = sum((k) => k.revoked);
    const hours = (seconds: number, n: number) => (n === 0 ? null : Math.round((seconds / n / 3600) * 100) / 100);

    const distribution = new Map<number, number>();
    for (const k of TOKEN_KINDS) for (const c of byKind[k].chains) distribution.set(c.extensions, (distribution.get(c.extensions) ?? 0) + c.chains);
    const dist = [...distribution.entries()].sort((a, b) => a[0] - b[0]).map(([extensions, chains]) => ({ extensions, chains }));

    return {
      generated_at: now.toISOString(),
      window_days: days,
      live_from: liveDay,
      issued_per_day,
      revocation: {
        issued,
        revoked,
        revoked_by_extension: sum((k) => k.byExtension),
        rate: ratio(revoked, issued),
      },
      average_lifetime_hours: {
        custom: hours(custom.lifetimeSeconds, custom.issued),
        tara: hours(tara.lifetimeSeconds, tara.issued),
        all: hours(custom.lifetimeSeconds + tara.lifetimeSeconds, issued),
      },
      claim_combinations: TOKEN_KINDS.flatMap((kind) => byKind[kind].combos.map((c) => ({ kind, claim_keys: c.claim_keys, tokens: c.n })))
        .sort((a, b) => b.tokens - a.tokens || a.claim_keys.localeCompare(b.claim_keys))
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
