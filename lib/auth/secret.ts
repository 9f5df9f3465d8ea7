import { hkdfSync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { config } from "@/lib/config/env";
import { log } from "@/lib/log/logger";

let cached: string | undefined;

/**
 * The secret that seals next-auth's session cookies: NEXTAUTH_SECRET when set;
 * else derived from TIM_KEY_ENCRYPTION_SECRET; else (one machine, embedded
 * default) a random secret kept in TIM_DATA_DIR/auth-secret. Several instances
 * must share NEXTAUTH_SECRET or TIM_KEY_ENCRYPTION_SECRET.
 */
export function authSecret(): string {
  if (cached) return cached;
  const cfg = config();
  const fromEnv = cfg.NEXTAUTH_SECRET ?? cfg.AUTH_SECRET;
  if (fromEnv) cached = fromEnv;
  else if (cfg.TIM_KEY_ENCRYPTION_SECRET) {
    cached = Buffer.from(hkdfSync("sha256", cfg.TIM_KEY_ENCRYPTION_SECRET, "tim.next-auth", "session cookie secret v1", 32)).toString("base64url");
  } else cached = fileSecret(path.join(cfg.TIM_DATA_DIR, "auth-secret"));
  return cached;
}

function fileSecret(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(path.dirname(file), { recursive: true });
    const secret = randomBytes(32).toString("base64url");
    // "wx": another process that won the race keeps its secret; read it back.
    try {
      writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
      log.warn("web session secret generated in TIM_DATA_DIR; set NEXTAUTH_SECRET when running more than one instance");
      return secret;
    } catch {
      return readFileSync(file, "utf8").trim();
    }
  }
}
