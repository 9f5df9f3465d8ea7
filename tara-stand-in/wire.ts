import { randomBytes } from "node:crypto";
import { config, overrideConfig } from "@/lib/config/env";
import { log } from "@/lib/log/logger";

export type StandInRuntime = {
  /** Interface TIM may bind: loopback unless TIM_ALLOW_STAND_IN=true. */
  host: string;
  notes: string[];
  stop(): Promise<void>;
};

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * Start-up hook: without TARA_ISSUER, runs the local TARA stand-in and points
 * TIM at it (TARA_ISSUER, client, redirect URI, TIM_TARA_STAND_IN=true). Since
 * anyone can log in through it as anyone, TIM then listens on loopback only,
 * unless TIM_ALLOW_STAND_IN=true. Returns undefined when a real TARA is configured.
 *
 * @param requestedHost HOST as given (undefined: TIM's default)
 * @param port the port TIM will listen on (for the default redirect URI)
 */
export async function startStandInIfNeeded(requestedHost: string | undefined, port: number): Promise<StandInRuntime | undefined> {
  const cfg = config();
  if (cfg.TARA_ISSUER) return undefined;
  const exposed = requestedHost !== undefined && !LOOPBACK.has(requestedHost);
  if (exposed && !cfg.TIM_ALLOW_STAND_IN) {
    throw new Error(
      `HOST=${requestedHost} with the TARA stand-in would let anyone on the network log in as anyone. ` +
        "Configure the real TARA (TARA_ISSUER, …) or set TIM_ALLOW_STAND_IN=true explicitly.",
    );
  }
  const host = exposed ? requestedHost! : "127.0.0.1";
  const publicUrl = cfg.NEXTAUTH_URL ?? `http://${exposed ? host : "localhost"}:${port}`;
  const clientId = cfg.TARA_CLIENT_ID ?? "tim-local";
  const clientSecret = cfg.TARA_CLIENT_SECRET ?? randomBytes(24).toString("base64url");
  const redirectUri = cfg.TARA_REDIRECT_URI ?? new URL("/auth/callback/tara", publicUrl).toString();
  // Loaded only when it runs: oidc-provider and its dependencies weigh ~60 MB.
  const { startTaraStandIn } = await import("@/tara-stand-in/server");
  const standIn = await startTaraStandIn({
    host,
    publicHost: exposed ? new URL(publicUrl).hostname : undefined,
    port: cfg.TARA_STAND_IN_PORT,
    clientId,
    clientSecret,
    clientAuthMethod: cfg.TARA_CLIENT_AUTH_METHOD,
    redirectUris: [redirectUri],
  });
  overrideConfig({
    TARA_ISSUER: standIn.issuer,
    TARA_CLIENT_ID: clientId,
    TARA_CLIENT_SECRET: clientSecret,
    TARA_REDIRECT_URI: redirectUri,
    TIM_TARA_STAND_IN: "true",
  });
  const warning = `TARA STAND-IN ACTIVE at ${standIn.issuer}: logins are SIMULATED, anyone can log in as anyone. Set TARA_ISSUER to use the real TARA.`;
  log.warn(warning);
  return {
    host,
    notes: [
      `!!! ${warning}`,
      exposed ? "!!! TIM_ALLOW_STAND_IN=true: the stand-in is reachable from the network." : "Listening on loopback only because of the stand-in.",
    ],
    stop: async () => {
      overrideConfig(undefined);
      await standIn.close();
    },
  };
}
