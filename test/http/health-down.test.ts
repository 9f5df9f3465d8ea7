import { createServer, type Server, type Socket, connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { startTestServer, type TestServer } from "@/test/support/http";
import { onPostgres } from "@/test/support/scratch-db";

let server: TestServer | undefined;
const originalUrl = process.env.DATABASE_URL;

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (originalUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = originalUrl;
  resetConfig();
  await closeDb();
});

// The setting changes before the handles close: a background task that reopens them meanwhile gets the new one.
async function useDatabase(url: string) {
  process.env.DATABASE_URL = url;
  resetConfig();
  await closeDb();
  server = await startTestServer();
}

test("GET /api/health answers 503 when the database cannot be reached", async () => {
  // Nothing listens on port 1 of the loopback interface.
  await useDatabase("postgres://postgres@127.0.0.1:1/tim");
  const res = await fetch(`${server!.url}/api/health`);
  expect(res.status).toBe(503);
  const body = await res.json();
  expect(body).toMatchObject({ status: "unavailable", database: "postgres", database_reachable: false, migrations_applied: null });
  expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|stack|127\.0\.0\.1:1/);
});

/** A TCP proxy in front of PostgreSQL that the test can cut, as a network failure would. */
async function startProxy(target: URL): Promise<{ port: number; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    cut: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

// Cutting a live connection needs a database server; PGlite runs in-process.
test.runIf(onPostgres)("GET /api/health turns from 200 to 503 when the database connection is lost", async () => {
  const target = new URL(originalUrl!);
  const proxy = await startProxy(target);
  const viaProxy = new URL(originalUrl!);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  await useDatabase(viaProxy.toString());
  expect((await fetch(`${server!.url}/api/health`)).status).toBe(200);
  await proxy.cut();
  const res = await fetch(`${server!.url}/api/health`);
  expect(res.status).toBe(503);
  expect((await res.json()).database_reachable).toBe(false);
});
