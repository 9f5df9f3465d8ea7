import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { CLIENT_ID, finishJsonLogin, loginJson, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

// TARA spec §4.1.2 (scope email), §4.1.3 (scope phone), §4.3.3 (the ID token), §5.1.4 (aud).
let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld({ TARA_SCOPES: "openid email phone" });
});
afterEach(() => world.tara.setFaults({}));
afterAll(async () => world.close());

async function metadataOf(token: string) {
  return (await db()).taraJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: decodeJwt(token).jti! } });
}

test("ID-card with scope email: email and email_verified in the TIM TARA JWT and its metadata, no phone", async () => {
  const { token } = await loginJson(world, "EE38001085718");
  const claims = decodeJwt(token);
  expect(claims).toMatchObject({ email: "jaak-kristjan.joeorg@eesti.ee", email_verified: false });
  expect(claims).not.toHaveProperty("phone_number");
  expect(await metadataOf(token)).toMatchObject({
    email: "jaak-kristjan.joeorg@eesti.ee",
    emailVerified: false,
    phoneNumber: null,
    phoneNumberVerified: null,
  });
  expect((await metadataOf(token)).claimKeys.split(",")).toEqual(expect.arrayContaining(["email", "email_verified"]));
});

test("Mobile-ID with scope phone: phone_number and phone_number_verified carried", async () => {
  const { token } = await loginJson(world, "EE60001017716");
  expect(decodeJwt(token)).toMatchObject({ phone_number: "+37259100366", phone_number_verified: true });
  expect(await metadataOf(token)).toMatchObject({ phoneNumber: "+37259100366", phoneNumberVerified: true, email: null });
});

test("without the scopes nothing of them is carried", async () => {
  process.env.TARA_SCOPES = "openid";
  resetConfig();
  try {
    const { token } = await loginJson(world, "EE60001017716");
    const claims = decodeJwt(token);
    for (const name of ["email", "email_verified", "phone_number", "phone_number_verified"]) expect(claims).not.toHaveProperty(name);
    expect(await metadataOf(token)).toMatchObject({ email: null, phoneNumber: null });
  } finally {
    process.env.TARA_SCOPES = "openid email phone";
    resetConfig();
  }
});

test("an extended token keeps the contact claims in its metadata", async () => {
  const { token } = await loginJson(world, "EE60001017716");
  const res = await fetch(`${world.tim.url}/jwt/tara/extend`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { token: string };
  expect(await metadataOf(body.token)).toMatchObject({ phoneNumber: "+37259100366", phoneNumberVerified: true });
});

async function loginWithClaims(idTokenClaims: Record<string, unknown>) {
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718");
  world.tara.setFaults({ idTokenClaims });
  return finishJsonLogin(world, started, callback);
}

test("aud as a one-element array holding the client id is accepted", async () => {
  const res = await loginWithClaims({ aud: [CLIENT_ID] });
  expect(res.status).toBe(200);
});

test.each([
  ["another client alone", ["some-other-client"]],
  ["two audiences", [CLIENT_ID, "some-other-client"]],
  ["an empty list", []],
])("aud as %s is refused", async (_name, aud) => {
  const res = await loginWithClaims({ aud });
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ error: "invalid_id_token" });
});

test("malformed contact claims are refused", async () => {
  const res = await loginWithClaims({ email_verified: "yes" });
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ error: "invalid_id_token" });
});
