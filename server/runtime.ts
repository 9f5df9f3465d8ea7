/**
 * Everything TIM prepares after migrations and before serving: signing key,
 * bootstrap API client, the local TARA stand-in and the background-job runner.
 */
import { issueSetupCode } from "@/lib/admins/first-run";
import { ensureBootstrapClient } from "@/lib/clients/bootstrap";
import { config } from "@/lib/config/env";
import { startJobRunner } from "@/lib/jobs/start";
import { pushOnRevocation } from "@/lib/ssf/push";
import { ensureSigningKey } from "@/lib/jwt/keys";
import { startStandInIfNeeded } from "@/tara-stand-in/wire";

export type Runtime = {
  /** Interface to bind. */
  host: string;
  /** Lines for the start-up banner (how to log in, warnings). */
  notes: string[];
  stop: () => Promise<void>;
};

export async function prepareRuntime(options: { requestedHost: string | undefined; port: number }): Promise<Runtime> {
  const notes: string[] = [];
  const stops: Array<() => Promise<void>> = [];

  await ensureSigningKey();
  if (!config().TIM_KEY_ENCRYPTION_SECRET && !config().TIM_SIGNING_KEY) {
    notes.push("WARNING: TIM_KEY_ENCRYPTION_SECRET is not set: the private signing key is stored unencrypted in the database.");
  }
  const bootstrap = await ensureBootstrapClient();
  if (bootstrap) notes.push(`API client: ${bootstrap.clientId} (${bootstrap.created ? "created" : "exists"}) — HTTP Basic with TIM_BOOTSTRAP_CLIENT_SECRET.`);
  else if (config().TIM_API_AUTH === "off") notes.push("WARNING: TIM_API_AUTH=off — the token API accepts anonymous callers.");
  else notes.push("No API client yet: create one in the console (API clients), or npm run tim -- client create --scopes tokens:issue,tokens:validate.");

  const standIn = await startStandInIfNeeded(options.requestedHost, options.port);
  if (standIn) {
    stops.push(standIn.stop);
    notes.push(...standIn.notes);
  }
  const admins = config().TIM_ADMIN_SUBJECTS.trim();
  const setup = await issueSetupCode();
  const origin = config().NEXTAUTH_URL ? new URL(config().NEXTAUTH_URL!).origin : `http://localhost:${options.port}`;
  notes.push(
    setup
      ? `No administrator yet. The first person to sign in at ${origin}/setup?code=${setup.code} becomes one (link valid until ${setup.expiresAt.toISOString()}, once; printed only here). Or: npm run tim -- admin add EE38001085718.`
      : `Sign in at /signin (console: /admin, own sessions: /me). Administrators: ${admins ? `${admins} (TIM_ADMIN_SUBJECTS)` : "granted in the console"}.`,
  );

  const jobs = await startJobRunner();
  stops.push(jobs.stop);
  notes.push(`Background jobs: ${jobs.mode}.`);
  // Shared Signals push starts on each revocation's announcement, whichever way jobs run (streams are leased).
  stops.push(pushOnRevocation());

  return {
    host: options.requestedHost ?? standIn?.host ?? "0.0.0.0",
    notes,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
