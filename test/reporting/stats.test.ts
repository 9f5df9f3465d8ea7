import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { healthChecks } from "@/lib/reporting/health";
import { dashboardStats } from "@/lib/reporting/stats";
import { refreshStatsRollup } from "@/lib/reporting/stats-rollup";
import { createScratchTim, type ScratchTim } from "@/test/audit/scratch-tim";
import { startTestServer, type TestServer } from "@/test/support/http";
import { hoursFromNow, reportClient, seedTokens } from "@/test/reporting/seed";

const DAY = 86_400_000;

describe("health checks and dashboard figures on seeded data (database of its own)", () => {
  let scratch: ScratchTim;
  beforeAll(async () => {
    scratch = await createScratchTim();
  });
  afterAll(async () => scratch.drop());

  test("health checks count orphaned denylist rows, future-dated and expired-uncleaned tokens per kind", async () => {
    const p = scratch.prisma;
    expect(await healthChecks(p)).toEqual([
      { kind: "custom", orphaned_denylist: 0, future_dated: 0, expired_uncleaned: 0, expired_uncleaned_capped: false },
      { kind: "tara", orphaned_denylist: 0, future_dated: 0, expired_uncleaned: 0, expired_uncleaned_capped: false },
    ]);
    await seedTokens(
      [
        { issuedAt: hoursFromNow(1), expiresAt: hoursFromNow(2) }, // future-dated
        { issuedAt: hoursFromNow(0.05), expiresAt: hoursFromNow(2) }, // 3 minutes ahead: within the 5-minute tolerance
        { issuedAt: new Date(Date.now() - 10 * DAY), expiresAt: new Date(Date.now() - 8 * DAY) }, // expired 8 days ago
        { issuedAt: new Date(Date.now() - 7 * DAY), expiresAt: new Date(Date.now() - 6 * DAY) }, // expired 6 days ago: not yet due
        { kind: "tara", issuedAt: new Date(Date.now() - 30 * DAY), expiresAt: new Date(Date.now() - 20 * DAY) },
        { kind: "tara", issuedAt: hoursFromNow(24), expiresAt: hoursFromNow(25) },
      ],
      p,
    );
    await p.customDenylist.createMany({
      data: [1, 2].map(() => ({ jwtUuid: crypto.randomUUID(), expiresAt: hoursFromNow(1), reason: "orphan" })),
    });
    await p.taraDenylist.create({ data: { jwtUuid: crypto.randomUUID(), expiresAt: hoursFromNow(1) } });
    expect(await healthChecks(p)).toEqual([
      { kind: "custom", orphaned_denylist: 2, future_dated: 1, expired_uncleaned: 1, expired_uncleaned_capped: false },
      { kind: "tara", orphaned_denylist: 1, future_dated: 1, expired_uncleaned: 1, expired_uncleaned_capped: false },
    ]);
  });

  test("dashboard: issued per day, revocation rate, lifetime, claim combinations, extensions", async () => {
    const p = scratch.prisma;
    const now = new Date();
    const today = now.toISOString().slice(0, 10);
    const before = await dashboardStats(p, now);
    const [root] = await seedTokens(
      [
        {
          claimKeys: "sub,scope",
          expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + 2 * 3_600_000),
          issuedAt: new Date(Math.floor(now.getTime() / 1000) * 1000),
        },
      ],
      p,
    );
    const [v2] = await seedTokens(
      [{ claimKeys: "sub,scope", extends: root, issuedAt: root.issuedAt, expiresAt: new Date(root.issuedAt.getTime() + 2 * 3_600_000) }],
      p,
    );
    await seedTokens([{ claimKeys: "sub,scope", extends: v2, issuedAt: root.issuedAt, expiresAt: new Date(root.issuedAt.getTime() + 2 * 3_600_000) }], p);
    await p.customDenylist.createMany({
      data: [root, v2].map((t) => ({ jwtUuid: t.jwtUuid, expiresAt: t.expiresAt, reason: "extended" })),
    });
    await seedTokens(
      [
        {
          kind: "tara",
          claimKeys: "sub,given_name",
          issuedAt: new Date(now.getTime() - 2 * DAY),
          expiresAt: new Date(now.getTime() - 2 * DAY + 3_600_000),
          revoked: { reason: "logout" },
        },
        { kind: "tara", claimKeys: "sub,given_name", issuedAt: new Date(now.getTime() - 40 * DAY), expiresAt: new Date(now.getTime() - 40 * DAY + 3_600_000) },
      ],
      p,
    );
    // The TARA token of two days ago was written after that day was rolled up: the nightly refresh takes it in.
    const stale = await dashboardStats(p, now);
    expect(stale.revocation.issued - before.revocation.issued).toBe(3);
    await refreshStatsRollup(p, now);
    const after = await dashboardStats(p, now);
    expect(after.issued_per_day).toHaveLength(30);
    expect(after.issued_per_day[29].day).toBe(today);
    const delta = (day: string, k: "custom" | "tara") =>
      after.issued_per_day.find((d) => d.day === day)![k] - before.issued_per_day.find((d) => d.day === day)![k];
    expect(delta(today, "custom")).toBe(3);
    expect(delta(new Date(now.getTime() - 2 * DAY).toISOString().slice(0, 10), "tara")).toBe(1);
    expect(after.revocation.issued - before.revocation.issued).toBe(4);
    expect(after.revocation.revoked - before.revocation.revoked).toBe(3);
    expect(after.revocation.revoked_by_extension - before.revocation.revoked_by_extension).toBe(2);
    expect(after.revocation.rate).toBeCloseTo(after.revocation.revoked / after.revocation.issued, 3);
    expect(after.claim_combinations).toContainEqual({ kind: "custom", claim_keys: "sub,scope", tokens: 3 });
    expect(after.claim_combinations).toContainEqual({ kind: "tara", claim_keys: "sub,given_name", tokens: 1 });
    expect(after.extensions.distribution).toContainEqual({ extensions: 2, chains: 1 });
    expect(after.extensions.longest_chain).toBe(3);
    expect(after.extensions.extensions - before.extensions.extensions).toBe(2);
    expect(after.average_lifetime_hours.custom).not.toBeNull();
    expect(after.health.map((h) => h.kind)).toEqual(["custom", "tara"]);
  });

  test("rolled-up days and live figures add up to the counts a full scan gives", async () => {
    // A database of its own: the tests above rolled their days up already.
    const own = await createScratchTim();
    onTestFinished(() => own.drop());
    const p = own.prisma;
    const now = new Date();
    await seedTokens(
      Array.from({ length: 12 }, (_, i) => ({
        kind: i % 3 === 0 ? ("tara" as const) : ("custom" as const),
        claimKeys: i % 2 ? "sub,role" : "sub,scope",
        issuedAt: new Date(now.getTime() - (i * 2.5 + 0.2) * DAY),
        expiresAt: new Date(now.getTime() - (i * 2.5 + 0.2) * DAY + (i + 1) * 3_600_000),
      })),
      p,
    );
    const s = await dashboardStats(p, now);
    const since = new Date(`${s.issued_per_day[0].day}T00:00:00Z`);
    const scan = await p.$queryRaw<{ day: string; kind: string; n: bigint }[]>`
      SELECT to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, 'custom' AS kind, count(*) AS n FROM custom.jwt_metadata WHERE issued_at >= ${since} GROUP BY 1
      UNION ALL
      SELECT to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 'tara', count(*) FROM tara.jwt_metadata WHERE issued_at >= ${since} GROUP BY 1`;
    const scanned = (day: string, kind: string) => Number(scan.find((r) => r.day === day && r.kind === kind)?.n ?? 0);
    for (const d of s.issued_per_day) expect([d.custom, d.tara]).toEqual([scanned(d.day, "custom"), scanned(d.day, "tara")]);
    expect(s.revocation.issued).toBe(scan.reduce((a, r) => a + Number(r.n), 0));
    expect(s.live_from <= s.issued_per_day[29].day).toBe(true);
    const [lifetime] = await p.$queryRaw<[{ h: number }]>`
      SELECT (sum(EXTRACT(EPOCH FROM (expires_at - issued_at))) / count(*) / 3600)::float8 AS h
        FROM (SELECT issued_at, expires_at FROM custom.jwt_metadata WHERE issued_at >= ${since}
              UNION ALL SELECT issued_at, expires_at FROM tara.jwt_metadata WHERE issued_at >= ${since}) t`;
    expect(s.average_lifetime_hours.all).toBeCloseTo(lifetime.h, 2);
  });
});

describe("stats API and metrics", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    delete process.env.TIM_METRICS_TOKEN;
    resetConfig();
    await server.close();
  });

  test("GET /api/reports/stats answers the dashboard figures", async () => {
    const client = await reportClient();
    const res = await fetch(`${server.url}/api/reports/stats`, { headers: { authorization: client.auth } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.issued_per_day).toHaveLength(30);
    expect(body.health).toHaveLength(2);
    expect(body.query_performance.map((q: { query: string }) => q.query)).toEqual(["search", "count", "export", "stats"]);
  });

  test("a time range of 7, 30 or 90 days (?days=); another value is a 400 that names the choices", async () => {
    const client = await reportClient();
    const today = new Date().toISOString().slice(0, 10);
    for (const days of [7, 90]) {
      const res = await fetch(`${server.url}/api/reports/stats?days=${days}`, { headers: { authorization: client.auth } });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.window_days).toBe(days);
      expect(body.issued_per_day).toHaveLength(days);
      expect(body.issued_per_day[days - 1].day).toBe(today);
    }
    const bad = await fetch(`${server.url}/api/reports/stats?days=5`, { headers: { authorization: client.auth } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_request", message: expect.stringContaining("7, 30, 90") });
  });

  test("GET /api/metrics: 404 without TIM_METRICS_TOKEN, 401 with a wrong token, Prometheus text with the right one", async () => {
    delete process.env.TIM_METRICS_TOKEN;
    resetConfig();
    expect((await fetch(`${server.url}/api/metrics`)).status).toBe(404);

    process.env.TIM_METRICS_TOKEN = "metrics-token-0123456789";
    resetConfig();
    expect((await fetch(`${server.url}/api/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);

    const client = await reportClient();
    await fetch(`${server.url}/api/reports/tokens?limit=1`, { headers: { authorization: client.auth } });
    const res = await fetch(`${server.url}/api/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/tim_report_query_duration_seconds_bucket\{le="[^"]+",query="search"\} [1-9]/);
    expect(text).toMatch(/tim_report_query_duration_recent_seconds\{quantile="0.95",query="search"\}/);
  });
});
