import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { LISTENER_NAME, denylistIsLive, ensureListening, stopListening } from "@/lib/tokens/denylist-set";
import { waitFor } from "@/test/jobs/support";
import { useApi } from "@/test/support/use-api";
import { call, claimsOf, unique } from "@/test/tokens/helpers";

/**
 * The denylist's memory is bounded by TIM_DENYLIST_MAX_ENTRIES, not by the number of revoked tokens
 * (ARCHITECTURE decision 12): revocations beyond the bound are found in the database.
 */
const HEAP_CAP_MB = 256;
/** Peak RSS allowed to the capped process: heap cap plus code, buffers and native memory. */
const RSS_CAP_MB = 450;

const api = useApi();

async function issue(): Promise<{ token: string; jti: string }> {
  const res = await call(`${api.server.url}/jwt/custom/generate`, {
    json: { JWTName: "SCALE", content: { sub: unique("scale") }, expirationInMinutes: 30 },
    auth: api.client.basic,
  });
  expect(res.status).toBe(200);
  return { token: res.body.token as string, jti: claimsOf(res.body.token).jti as string };
}

/** `count` unexpired revocations of tokens nobody holds, in one statement; the oldest first. */
async function revokeMany(count: number): Promise<void> {
  await (await db()).$executeRawUnsafe(
    `INSERT INTO custom.denylist (jwt_uuid, expires_at, reason, denylisted_at)
     SELECT gen_random_uuid(), now() + interval '1 hour', 'scale', now() - interval '1 hour' + i * interval '1 microsecond'
       FROM generate_series(1, $1::int) AS i`,
    count,
  );
}

/** Revoked before the bulk rows (so a bounded set evicts or never loads it): found only in the database. */
async function revokeOld(jti: string): Promise<void> {
  await (await db()).customDenylist.create({
    data: { jwtUuid: jti, expiresAt: new Date(Date.now() + 1_800_000), denylistedAt: new Date(Date.now() - 7_200_000), reason: "old" },
  });
}

test("beyond its bound the set forgets the oldest revocations and the database still refuses them", async () => {
  process.env.TIM_DENYLIST_MAX_ENTRIES = "50";
  resetConfig();
  await stopListening();
  try {
    const old = await issue();
    const fresh = await issue();
    await revokeOld(old.jti);
    await revokeMany(200);
    ensureListening();
    await waitFor(async () => denylistIsLive());
    const validate = (token: string) => call(`${api.server.url}/jwt/custom/validate`, { json: { token }, auth: api.client.basic });
    expect((await validate(old.token)).body.reason).toBe("Token revoked");
    expect((await validate(fresh.token)).status).toBe(200);
    // Revocations through the API after the set is full: each evicts an older one, each is refused.
    for (let i = 0; i < 5; i++) {
      const { token } = await issue();
      expect((await call(`${api.server.url}/jwt/custom/revoke`, { json: { token }, auth: api.client.basic })).status).toBe(200);
      expect((await validate(token)).body.reason).toBe("Token revoked");
    }
    expect((await validate(old.token)).body.reason).toBe("Token revoked");
    expect((await validate(fresh.token)).status).toBe(200);
  } finally {
    await (await db()).$executeRaw`DELETE FROM custom.denylist WHERE reason = 'scale'`;
    delete process.env.TIM_DENYLIST_MAX_ENTRIES;
    resetConfig();
    await stopListening();
  }
});

function memoryMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb("VmRSS") / 1024), hwm: Math.round(kb("VmHWM") / 1024) };
}

async function startCapped(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, "--import", "tsx", "test/support/api-process.ts"], {
    env: { ...process.env, NODE_ENV: "production", TIM_LOG_LEVEL: "error" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = /^ready (\S+)/m.exec(output);
    if (ready) return { child, url: ready[1] };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`TIM API process did not start:\n${output.slice(-2000)}`);
}

// PGlite is in-memory per test file: another process cannot open it (and 2M rows in wasm memory are not the point).
test.runIf(process.env.DATABASE_URL)(
  "2M unexpired revoked tokens: a capped TIM process validates, survives losing its listener and stays under its memory cap",
  async () => {
    const old = await issue();
    const fresh = await issue();
    await revokeOld(old.jti);
    await revokeMany(2_000_000);
    const { child, url } = await startCapped();
    try {
      const validate = async (token: string) => (await call(`${url}/jwt/custom/validate`, { json: { token }, auth: api.client.basic })).body;
      // The first validation starts the listener and its (bounded) load.
      expect((await validate(old.token)).reason).toBe("Token revoked");
      expect((await validate(fresh.token)).valid).toBe(true);
      const listener = () =>
        db().then(
          (p) =>
            p.$queryRaw<Array<{ pid: number }>>`SELECT pid FROM pg_stat_activity WHERE application_name = ${LISTENER_NAME} AND datname = current_database()`,
        );
      await waitFor(async () => (await listener()).length === 1, 30_000);
      const [{ pid }] = await listener();
      await (await db()).$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
      // Refused while the listener is down (database lookups) and after it has reconnected and reloaded.
      expect((await validate(old.token)).reason).toBe("Token revoked");
      await waitFor(async () => (await listener()).some((l) => l.pid !== pid), 30_000);
      for (let i = 0; i < 20; i++) {
        expect((await validate(old.token)).reason).toBe("Token revoked");
        expect((await validate(fresh.token)).valid).toBe(true);
      }
      expect(child.exitCode).toBeNull();
      const memory = memoryMb(child.pid!);
      expect(memory.hwm).toBeLessThan(RSS_CAP_MB);
      expect(memory.rss).toBeLessThan(RSS_CAP_MB);
    } finally {
      child.kill("SIGTERM");
      // The run's other test files share this database: their listeners should not load 2M rows.
      await (await db()).$executeRaw`DELETE FROM custom.denylist WHERE reason = 'scale'`;
    }
  },
  240_000,
);
