import { afterAll, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { startTestServer, type TestServer } from "@/test/support/http";
import { call, unique } from "@/test/tokens/helpers";

// Decision 4 (fail closed): without the database no token is issued and none is called valid.
// Own file: the database is switched away for good here.

let server: TestServer;
let url: (path: string) => string;
let token: string;

beforeAll(async () => {
  process.env.TIM_API_AUTH = "off";
  resetConfig();
  server = await startTestServer();
  url = (p) => `${server.url}${p}`;
  const res = await call(url("/jwt/custom/generate"), { json: { content: { sub: unique("fc") }, expirationInMinutes: 30 } });
  expect(res.status).toBe(200);
  token = res.body.token;
  // Nothing listens on port 1 of the loopback interface. The setting changes before the handles close:
  // a background task (key or denylist listener reconnecting) that reopens them meanwhile gets the dead address.
  process.env.DATABASE_URL = "postgres://postgres@127.0.0.1:1/tim";
  resetConfig();
  await closeDb();
});
afterAll(async () => {
  await server.close();
  delete process.env.TIM_API_AUTH;
});

test("database unreachable: generate → 503 and no token", async () => {
  // A lifetime beyond what the key has recorded makes signing write to tim.signing_keys too.
  const res = await call(url("/jwt/custom/generate"), { json: { content: { sub: unique("fc") }, expirationInMinutes: 60 * 24 * 300 } });
  expect(res.status).toBe(503);
  expect(res.text).not.toMatch(/eyJ|ECONNREFUSED|127\.0\.0\.1/);
});

test("database unreachable: validate, boolean validate, introspect and extend do not say valid", async () => {
  const validate = await call(url("/jwt/custom/validate"), { json: { token } });
  expect(validate.status).toBe(503);
  expect(validate.body.valid).not.toBe(true);
  const bool = await call(url("/jwt/custom/validate/boolean"), { json: { token } });
  expect(bool.status).toBe(503);
  expect(bool.text).not.toBe("true");
  const introspect = await call(url("/introspect"), { form: { token } });
  expect(introspect.status).toBe(503);
  expect(introspect.body.active).not.toBe(true);
  const extend = await call(url("/jwt/custom/extend"), { json: { token } });
  expect(extend.status).toBe(503);
  expect(extend.text).not.toMatch(/eyJ/);
});
