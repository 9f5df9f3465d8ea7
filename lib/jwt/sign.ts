import { SignJWT, type JWTPayload } from "jose";
import { recordSignedExpiry } from "@/lib/jwt/key-cache";
import { activeSigningKey } from "@/lib/jwt/keys";

/**
 * Signs a JWT with the active key (header: alg of the key, kid, `typ`, JWT by
 * default). The payload must carry `exp`: the key stays published until then.
 */
export async function signJwt(payload: JWTPayload, typ = "JWT"): Promise<string> {
  if (typeof payload.exp !== "number") throw new TypeError("signJwt: payload.exp (seconds) is required");
  const key = await activeSigningKey();
  const token = await new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ }).sign(key.privateKey);
  await recordSignedExpiry(key.kid, payload.exp);
  return token;
}
