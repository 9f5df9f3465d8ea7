import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { expect, test } from "vitest";
import { activateNextKey, prepareNextKey } from "@/lib/jwt/rotate-keys";
import { useApi } from "@/test/support/use-api";
import { usePrivateDatabase } from "@/test/jwt/private-database";
import { call, unique } from "@/test/tokens/helpers";

usePrivateDatabase();

const api = useApi();
const url = api.url;

const kids = async () => ((await call(url("/jwt/keys/public"))).body.keys as { kid: string }[]).map((k) => k.kid);

async function issue(): Promise<string> {
  const res = await call(url("/jwt/custom/generate"), {
    json: { content: { sub: unique("jwks") }, expirationInMinutes: 30 },
    auth: api.client.basic,
  });
  expect(res.status).toBe(200);
  return res.body.token;
}

test("GET /jwt/keys/public: public keys only, no credentials needed, verifies issued tokens offline", async () => {
  const token = await issue();
  const res = await call(url("/jwt/keys/public"));
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toContain("max-age");
  expect(res.body.keys.length).toBeGreaterThanOrEqual(1);
  for (const key of res.body.keys) {
    expect(key).toMatchObject({ use: "sig", alg: "RS256", kty: "RSA" });
    expect(typeof key.kid).toBe("string");
    for (const privatePart of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(privatePart);
  }
  await expect(jwtVerify(token, createLocalJWKSet(res.body as JSONWebKeySet))).resolves.toBeTruthy();
});

test("rotation over HTTP: the next key is published before it signs, old tokens still validate", async () => {
  const oldToken = await issue();
  const oldKid = decodeProtectedHeader(oldToken).kid!;

  const nextKid = await prepareNextKey();
  expect(await kids()).toEqual(expect.arrayContaining([oldKid, nextKid]));
  expect(decodeProtectedHeader(await issue()).kid).toBe(oldKid);

  await activateNextKey();
  const newToken = await issue();
  expect(decodeProtectedHeader(newToken).kid).toBe(nextKid);
  expect(await kids()).toEqual(expect.arrayContaining([oldKid, nextKid]));

  for (const token of [oldToken, newToken]) {
    const res = await call(url("/jwt/custom/validate"), { json: { token }, auth: api.client.basic });
    expect(res.status).toBe(200);
    const introspection = await call(url("/introspect"), { form: { token }, auth: api.client.basic });
    expect(introspection.body.active).toBe(true);
  }
  const jwks = (await call(url("/jwt/keys/public"))).body as JSONWebKeySet;
  await expect(jwtVerify(oldToken, createLocalJWKSet(jwks))).resolves.toBeTruthy();
  await expect(jwtVerify(newToken, createLocalJWKSet(jwks))).resolves.toBeTruthy();
});
