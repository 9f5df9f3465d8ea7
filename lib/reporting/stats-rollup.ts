import { defineJob } from "@/lib/jobs/define";
import { db } from "@/lib/db/client";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { KINDS, TOKEN_KINDS } from "@/lib/tokens/kinds";

/**
 * The dashboard's per-day figures of closed UTC days (tokens issued and their
 * summed lifetimes, per kind and claim combination) are computed once into
 * tim.stats_daily instead of on every view. A day is rolled up when it ended
 * ROLLUP_DELAY_MS ago (room for late commits and asynchronous metadata
 * writes); the dashboard rolls up missing days itself, and the nightly job
 * (the stats-rollup job below) recomputes the last REFRESH_DAYS days
 * for rows that arrived later still.
 */
export const ROLLUP_DELAY_MS = 3_600_000;
/** The dashboard's windows in days (today and the days before it), and the default the nightly job keeps rolled up. */
export const STATS_WINDOWS = [7, 30, 90] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];
export const STATS_WINDOW_DAYS: StatsWindow = 30;
const REFRESH_DAYS = 3;
const DAY_MS = 86_400_000;
/** Serialises rollups of the same days by concurrent dashboards and the job. */
const ROLLUP_LOCK = 72_541_331_942;

export const utcDay = (d: Date) => d.toISOString().slice(0, 10);
const dayStart = (day: string) => new Date(`${day}T00:00:00Z`);

/** The first day of a dashboard window of `days` at `now`. */
export function firstWindowDay(now: Date, days: number = STATS_WINDOW_DAYS): string {
  return utcDay(new Date(dayStart(utcDay(now)).getTime() - (days - 1) * DAY_MS));
}

/** The first UTC day that is not rolled up yet at `now` (its figures are computed live). */
export function firstLiveDay(now: Date): string {
  return utcDay(new Date(Math.floor((now.getTime() - ROLLUP_DELAY_MS) / DAY_MS) * DAY_MS));
}

/** The days from `first` up to (not including) `end`. */
export function daysBetween(first: string, end: string): string[] {
  const days: string[] = [];
  for (let t = dayStart(first).getTime(); t < dayStart(end).getTime(); t += DAY_MS) days.push(utcDay(new Date(t)));
  return days;
}

/** Computes the figures of `days` afresh, one transaction per day. */
async function rollUp(prisma: PrismaClient, days: string[]): Promise<void> {
  for (const day of days) {
    const from = dayStart(day);
    const to = new Date(from.getTime() + DAY_MS);
    await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ROLLUP_LOCK}::bigint)`;
      await tx.$executeRaw`DELETE FROM tim.stats_daily WHERE day = ${day}`;
      for (const kind of TOKEN_KINDS) {
        await tx.$executeRaw`
          INSERT INTO tim.stats_daily (day, kind, claim_keys, issued, lifetime_s)
          SELECT ${day}, ${kind}, m.claim_keys, count(*), sum(EXTRACT(EPOCH FROM (m.expires_at - m.issued_at)))::float8
            FROM ${KINDS[kind].sql.metadata} m
           WHERE m.issued_at >= ${from} AND m.issued_at < ${to}
           GROUP BY m.claim_keys`;
      }
      await tx.$executeRaw`
        INSERT INTO tim.stats_rollup_days (day) VALUES (${day}) ON CONFLICT (day) DO UPDATE SET rolled_at = now()`;
    });
  }
}

/** Rolls up the closed days from `first` on that are not rolled up yet (the dashboard calls this). */
export async function ensureRolledUp(prisma: PrismaClient, first: string, now: Date): Promise<void> {
  const wanted = daysBetween(first, firstLiveDay(now));
  if (wanted.length === 0) return;
  const done = new Set((await prisma.statsRollupDay.findMany({ where: { day: { in: wanted } }, select: { day: true } })).map((d) => d.day));
  await rollUp(
    prisma,
    wanted.filter((d) => !done.has(d)),
  );
}

/** The nightly job: recomputes the last closed days (late rows) and any missing day of the window. */
export async function refreshStatsRollup(client?: PrismaClient, now = new Date()): Promise<{ days: string[] }> {
  const prisma = client ?? (await db());
  const end = firstLiveDay(now);
  const recent = daysBetween(utcDay(new Date(dayStart(end).getTime() - REFRESH_DAYS * DAY_MS)), end);
  await rollUp(prisma, recent);
  await ensureRolledUp(prisma, firstWindowDay(now), now);
  return { days: recent };
}

/**
 * Nightly, after the day closed (01:15 UTC): the dashboard's daily rollup of
 * the last days is recomputed, taking in rows that arrived late.
 */
export const statsRollupJob = defineJob({
  id: "stats-rollup",
  name: "Dashboard: daily rollup",
  trigger: { cron: "15 1 * * *" },
  concurrency: 1,
  retries: 3,
  handler: async ({ step }) => step.run("roll-up", () => refreshStatsRollup()),
});
