import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { pinnedFetch } from "@/lib/tara/http";
import { Browser, finishJsonLogin, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

// TARA spec §5.1.2: the trust anchors for TARA's endpoints are pinned (TARA_CA_FILE), not the
// system store. The stand-in serves HTTPS with a certificate from test CA "A"; CA "B" is another CA.
const dir = mkdtempSync(path.join(tmpdir(), "tim-tara-tls-"));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });

function makeCa(name: string) {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-subj",
    `/CN=TIM test root ${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
}

let world: TaraWorld;
let caA: string;
beforeAll(async () => {
  makeCa("A");
  makeCa("B");
  writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "A.pem",
    "-CAkey",
    "A.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    "server.pem",
    "-extfile",
    "server.ext",
  );
  writeFileSync(file("not-a-cert.pem"), "hello");
  caA = readFileSync(file("A.pem"), "utf8");
  world = await startTaraWorld({}, { tls: { key: readFileSync(file("server.key"), "utf8"), cert: readFileSync(file("server.pem"), "utf8") } });
});
afterEach(() => useCaFile(undefined));
afterAll(async () => {
  await world.close();
  rmSync(dir, { recursive: true, force: true });
});

function useCaFile(name: string | undefined) {
  if (name) process.env.TARA_CA_FILE = file(name);
  else delete process.env.TARA_CA_FILE;
  resetConfig();
}

async function loginStart() {
  return fetch(`${world.tim.url}/auth/login/tara`, { headers: { accept: "application/json" } });
}

/** The test's browser trusts CA A, to walk TARA's pages. */
const browserTrustingA = () =>
  new Browser((url, init) => (url.startsWith("https:") ? pinnedFetch(url, init, caA, AbortSignal.timeout(5_000)) : fetch(url, init)));

/** A login started (and walked at TARA) under CA A whose code exchange then runs under `caFile`. */
async function exchangeUnder(caFile: string) {
  useCaFile("A.pem");
  const started = await startJsonLogin(world);
  const callback = await taraCallbackUrl(world, started.authorizationUrl, "EE38001085718", browserTrustingA());
  useCaFile(caFile);
  return finishJsonLogin(world, started, callback);
}

// These two run first, before TIM has TARA's discovery document cached: they show the pin on discovery.
test("without TARA_CA_FILE the system store applies, which does not know the test CA: discovery refused", async () => {
  expect(world.tara.issuer).toMatch(/^https:\/\/127\.0\.0\.1:/);
  const res = await loginStart();
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ error: "tara_unavailable" });
});

test("TARA_CA_FILE with another CA: TARA's certificate is refused at discovery (502)", async () => {
  useCaFile("B.pem");
  const res = await loginStart();
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ error: "tara_unavailable" });
});

test("TARA_CA_FILE with the CA of TARA's certificate: a whole login over HTTPS (discovery, token, JWKS)", async () => {
  const res = await exchangeUnder("A.pem");
  expect(res.status).toBe(200);
  expect(((await res.json()) as { token: string }).token).toMatch(/^eyJ/);
});

test("TARA_CA_FILE with another CA: the token endpoint's certificate is refused (502), no token", async () => {
  const res = await exchangeUnder("B.pem");
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ error: "tara_unavailable" });
});

test("a TARA_CA_FILE that is unreadable or holds no certificate: 503 tara_not_configured, naming the setting", async () => {
  for (const name of ["missing.pem", "not-a-cert.pem"]) {
    const res = await exchangeUnder(name);
    expect(res.status, name).toBe(503);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("tara_not_configured");
    expect(body.message).toContain("TARA_CA_FILE");
  }
});

test("TARA_CA_FILE with a plain-HTTP TARA: 503, the pin cannot hold", async () => {
  const plain = await startTaraWorld();
  try {
    useCaFile("A.pem");
    const res = await loginStart();
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toMatch(/not HTTPS/);
  } finally {
    await plain.close();
    process.env.TARA_ISSUER = world.tara.issuer;
    process.env.TARA_REDIRECT_URI = world.callbackUrl;
    resetConfig();
  }
});
