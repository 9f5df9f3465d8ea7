/**
 * The limit: a minimal node:http server doing the same essential work as TIM
 * with no framework — parse JSON, sign with jose (same key type), one
 * parameterised INSERT of the same metadata row through pg (issue); verify
 * plus one denylist primary-key lookup (validate, introspect).
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { SignJWT, generateKeyPair, jwtVerify } from "jose";
import pg from "pg";

const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
const alg = (process.env.TIM_SIGNING_ALG ?? "RS256") as "RS256" | "ES256" | "EdDSA";
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 16) });
const { privateKey, publicKey } = await generateKeyPair(alg);

const INSERT = {
  name: "raw-insert-metadata",
  text: `INSERT INTO custom.jwt_metadata
    (jwt_uuid, claim_keys, issued_at, expires_at, subject, jwt_name, audience, issuer,
     original_jwt_uuid, claims_json, token_hash, token_type, client_id)
    VALUES ($1, $2, to_timestamp($3), to_timestamp($4), $5, $6, $7, $8, $1, $9, $10, 'custom_jwt', 'raw')`,
};
const DENYLIST = { name: "raw-denylist", text: "SELECT 1 FROM custom.denylist WHERE jwt_uuid = $1" };

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

type Reply = { status: number; body: Record<string, unknown> };

async function issue(raw: string): Promise<Reply> {
  const { JWTName, content, expirationInMinutes } = JSON.parse(raw);
  const jti = randomUUID();
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + expirationInMinutes * 60;
  const claims = { ...content, token_type: "custom_jwt" };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg, kid: "raw-1", typ: "JWT" })
    .setIssuer("TIM")
    .setAudience("tim-audience")
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(privateKey);
  const hash = createHash("sha256").update(token).digest("hex");
  await pool.query({
    ...INSERT,
    values: [
      jti,
      Object.keys(content).join(","),
      iat,
      exp,
      content.sub ?? null,
      JWTName,
      "tim-audience",
      "TIM",
      JSON.stringify({ ...claims, iss: "TIM", aud: "tim-audience", iat, exp, jti }),
      hash,
    ],
  });
  return { status: 200, body: { status: "created", name: JWTName, token, expiresAt: new Date(exp * 1000).toISOString() } };
}

async function check(token: string): Promise<Reply & { body: { valid: boolean; claims?: object } }> {
  try {
    const { payload } = await jwtVerify(token, publicKey, { issuer: "TIM", audience: "tim-audience" });
    const revoked = (await pool.query({ ...DENYLIST, values: [payload.jti] })).rowCount! > 0;
    return revoked
      ? { status: 401, body: { valid: false, active: false, reason: "Token revoked" } }
      : { status: 200, body: { valid: true, active: true, claims: payload } };
  } catch {
    return { status: 401, body: { valid: false, active: false, reason: "Invalid token" } };
  }
}

createServer((req, res) => {
  body(req)
    .then((raw): Promise<Reply> | Reply => {
      if (req.url === "/issue") return issue(raw);
      if (req.url === "/validate") return check(JSON.parse(raw).token);
      if (req.url === "/introspect")
        return check(new URLSearchParams(raw).get("token") ?? "").then((r) => ({
          status: 200,
          body: r.body.valid ? { active: true, ...r.body.claims } : { active: false },
        }));
      return { status: 404, body: { error: "not_found" } };
    })
    .then(({ status, body: out }) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(out));
    })
    .catch(() => {
      res.writeHead(500);
      res.end();
    });
}).listen(port, "127.0.0.1", () => process.stdout.write(`ready ${port}\n`));
