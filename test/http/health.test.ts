import { expect, test } from "vitest";
import { activeSigningKey, ensureSigningKey } from "@/lib/jwt/keys";
import pkg from "@/package.json";
import { useApi } from "@/test/support/use-api";

const api = useApi();

test("GET /api/health reports the database, migrations and job mode", async () => {
  const res = await fetch(`${api.server.url}/api/health`);
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.status).toBe("ok");
  expect(body.database).toBe(process.env.DATABASE_URL ? "postgres" : "pglite");
  expect(body.migrations_applied).toBeGreaterThanOrEqual(1);
  expect(body.job_mode).toBe("in-process");
});

test("GET /api/health reports the version, the signing key's age and next rotation, and the job backlog", async () => {
  await ensureSigningKey();
  const active = await activeSigningKey();
  const body = await (await fetch(`${api.server.url}/api/health`)).json();
  expect(body.version).toBe(pkg.version);
  expect(body.keys).toMatchObject({ active_kid: active.kid, alg: active.alg });
  expect(body.keys.active_age_seconds).toBeGreaterThanOrEqual(0);
  expect(Date.parse(body.keys.active_since)).toBeLessThanOrEqual(Date.now());
  // No rotation scheduled here: none to report.
  expect(body.keys.next_rotation_at).toBeNull();
  expect(body.job_backlog).toEqual({ waiting: expect.any(Number), oldest_age_seconds: expect.any(Number) });
});

test("every health endpoint answers TIM's vocabulary (ok/unavailable) beside TIM 2.0's words", async () => {
  const own = await (await fetch(`${api.server.url}/api/health`)).json();
  const spring = await (await fetch(`${api.server.url}/health`)).json();
  const tara = await (await fetch(`${api.server.url}/auth/health`)).json();
  expect(own.status).toBe("ok");
  expect(spring).toMatchObject({ status: "UP", tim_status: "ok" });
  expect(["ok", "unavailable"]).toContain(tara.tim_status);
  expect(tara.tim_status).toBe(tara.status === "healthy" ? "ok" : "unavailable");
});
