import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import type { SsfStream } from "@/lib/generated/prisma/client";
import { defineJob } from "@/lib/jobs/define";
import { errorFields, log } from "@/lib/log/logger";
import { onRevocationAnnounced } from "@/lib/tokens/denylist-set";
import { openSecret, sealSecret } from "@/lib/jwt/key-sealing";
import { acknowledge, heldBack, owedEvents } from "@/lib/ssf/owed";
import { resolvePushEndpoint } from "@/lib/ssf/push-endpoint";
import { signSet } from "@/lib/ssf/set";
import { PUSH_METHOD } from "@/lib/ssf/stream";

const SEAL_PURPOSE = "tim.ssf_streams.push_authorization";
/** Each POST gives up after this long (connect, send, answer). */
const REQUEST_TIMEOUT_MS = 10_000;
/** Events taken per round of one stream; its acknowledgements are written after each round. */
const ROUND = 100;
/** A deliverer owns a stream this long (next_attempt_at as a lease); rounds stop well before it ends. */
const LEASE_MS = 120_000;
const RUN_BUDGET_MS = 60_000;

export async function sealAuthorization(authorization: string | null) {
  if (authorization === null) return { pushAuthorization: null, pushAuthorizationEncrypted: false };
  const { sealed, encrypted } = await sealSecret(SEAL_PURPOSE, authorization);
  return { pushAuthorization: sealed, pushAuthorizationEncrypted: encrypted };
}

type Outcome = { delivered: true } | { permanent: { err: string; description: string | null } } | { transient: string };

/**
 * RFC 8935 §2: one SET POSTed as application/secevent+jwt. 202 (any 2xx) delivers it; 400 with
 * `{err, description}` refuses it for good (§2.3); anything else — no connection, a timeout,
 * 5xx, 429, a redirect (not followed) — is transient. The host is resolved and checked again
 * here and the connection goes to the checked address, so DNS rebinding reaches nothing internal.
 */
async function post(endpoint: string, authorization: string | null, set: string): Promise<Outcome> {
  let checked;
  try {
    checked = await resolvePushEndpoint(endpoint);
  } catch (err) {
    return { transient: (err as Error).message };
  }
  const [pinned] = checked.addresses;
  const lookup: LookupFunction = (_host, options, callback) => (options.all ? callback(null, [pinned]) : callback(null, pinned.address, pinned.family));
  const client = checked.url.protocol === "https:" ? https : http;
  return new Promise<Outcome>((resolve) => {
    const req = client.request(
      checked.url,
      {
        method: "POST",
        lookup,
        timeout: REQUEST_TIMEOUT_MS,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        headers: { "content-type": "application/secevent+jwt", accept: "application/json", ...(authorization ? { authorization } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= 16_384) chunks.push(c);
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve({ delivered: true });
          if (status === 400) {
            let body: { err?: unknown; description?: unknown } = {};
            try {
              body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              // a 400 without the JSON of §2.3 still refuses the SET
            }
            const text = (v: unknown) => (typeof v === "string" ? v.slice(0, 500) : null);
            return resolve({ permanent: { err: text(body.err) ?? "invalid_request", description: text(body.description) } });
          }
          resolve({ transient: `HTTP ${status}` });
        });
        res.on("error", (err) => resolve({ transient: err.message }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", (err) => resolve({ transient: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(set);
  });
}

/** Exponential backoff from 1 s, doubling, at most TIM_SSF_PUSH_MAX_BACKOFF_SECONDS, with ±20 % jitter so receivers coming back are not hit in step. */
export function backoffMs(attempts: number): number {
  const capped = Math.min(1000 * 2 ** Math.min(attempts - 1, 30), config().TIM_SSF_PUSH_MAX_BACKOFF_SECONDS * 1000);
  return Math.round(capped * (0.8 + Math.random() * 0.4));
}

/** heldBack: streams with events behind the delivery horizon when their turn ended (see heldBack in owed.ts). */
export type PushRun = { streams: number; delivered: number; failed: number; retrying: number; heldBack: number };

/**
 * Takes one push stream for this deliverer: enabled, due (next_attempt_at passed or unset).
 * next_attempt_at becomes a lease, so another instance (or an overlapping run) skips the stream
 * until this one is done or the lease has run out (a deliverer that died).
 */
async function claimStream(exclude: string[]): Promise<SsfStream | undefined> {
  const prisma = await db();
  const [row] = await prisma.$queryRaw<{ stream_id: string }[]>`
    UPDATE tim.ssf_streams SET next_attempt_at = now() + ${LEASE_MS} * interval '1 millisecond'
     WHERE stream_id = (SELECT stream_id FROM tim.ssf_streams
                         WHERE delivery_method = ${PUSH_METHOD} AND status = 'enabled' AND NOT (stream_id = ANY(${exclude}::uuid[]))
                           AND (next_attempt_at IS NULL OR next_attempt_at <= now())
                         ORDER BY next_attempt_at NULLS FIRST LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING stream_id::text`;
  return row && prisma.ssfStream.findUniqueOrThrow({ where: { streamId: row.stream_id } });
}

/**
 * Delivers what one claimed stream is owed, in outbox order, until it is all delivered, the
 * receiver fails, or the run's time is up. Returns the transient error that stopped it, if any.
 */
async function deliverStream(s: SsfStream, until: number, run: PushRun): Promise<string | null> {
  const prisma = await db();
  const authorization =
    s.pushAuthorization === null ? null : await openSecret(SEAL_PURPOSE, { sealed: s.pushAuthorization, encrypted: s.pushAuthorizationEncrypted });
  while (Date.now() < until) {
    const events = await prisma.$transaction((tx) => owedEvents(tx, s, ROUND));
    const done: bigint[] = [];
    let error: string | null = null;
    for (const e of events) {
      const outcome = await post(s.endpointUrl!, authorization, await signSet(s.streamId, s.audience, e));
      if ("transient" in outcome) {
        error = outcome.transient;
        break;
      }
      if ("permanent" in outcome) {
        await prisma.ssfPushFailure.upsert({
          where: { streamId_seq: { streamId: s.streamId, seq: e.seq } },
          create: { streamId: s.streamId, seq: e.seq, ...outcome.permanent },
          update: outcome.permanent,
        });
        run.failed++;
      } else run.delivered++;
      done.push(e.seq);
    }
    await prisma.$transaction((tx) => acknowledge(tx, s, done));
    if (error === null && events.length < ROUND && (await heldBack(prisma, s))) run.heldBack++;
    if (error !== null || events.length < ROUND) return error;
  }
  return null;
}

/** Ends a stream's turn: due again at once after a success (or when time ran out), after the backoff when it failed. */
async function release(s: SsfStream, error: string | null): Promise<void> {
  const attempts = error === null ? 0 : s.pushAttempts + 1;
  const prisma = await db();
  // updateMany: the stream may have been deleted meanwhile.
  await prisma.ssfStream.updateMany({
    where: { streamId: s.streamId },
    data: {
      pushAttempts: attempts,
      nextAttemptAt: error === null ? null : new Date(Date.now() + backoffMs(attempts)),
      lastError: error?.slice(0, 500) ?? null,
    },
  });
}

/** One delivery run over every due push stream. */
export async function deliverPushStreams(): Promise<PushRun> {
  const run: PushRun = { streams: 0, delivered: 0, failed: 0, retrying: 0, heldBack: 0 };
  const until = Date.now() + RUN_BUDGET_MS;
  const seen: string[] = [];
  while (Date.now() < until) {
    const s = await claimStream(seen);
    if (!s) break;
    seen.push(s.streamId);
    run.streams++;
    // A stream that cannot be delivered at all (its header sealed under another secret, say) backs off alone.
    const error = await deliverStream(s, until, run).catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (error !== null) run.retrying++;
    await release(s, error);
  }
  return run;
}

/** Whether any push stream is enabled, as last read, and when (a run is only started when one is). */
let pushStreams: { any: boolean; readAt: number } | undefined;
const PUSH_STREAMS_FRESH_MS = 5_000;
/** How long a run started by an announcement keeps retrying events held back behind the delivery horizon. */
const HELD_BACK_RETRY_MS = 10_000;

/** A stream was created, changed or deleted here: read afresh before the next run is skipped. */
export function pushStreamsChanged(): void {
  pushStreams = undefined;
}

async function anyPushStream(): Promise<boolean> {
  if (pushStreams && Date.now() - pushStreams.readAt < PUSH_STREAMS_FRESH_MS) return pushStreams.any;
  const prisma = await db();
  const any = (await prisma.ssfStream.count({ where: { deliveryMethod: PUSH_METHOD, status: "enabled" }, take: 1 })) > 0;
  pushStreams = { any, readAt: Date.now() };
  return any;
}

/**
 * Pushes as soon as a revocation commits (issue 16: push faster than poll). Every instance hears
 * the denylist's announcements (lib/tokens/denylist-set.ts, any instance's commits) and starts a
 * delivery run at once; what is announced during a run starts one more after it, so a burst costs
 * a run or two, not one per token. Streams are leased, so instances that start at once never send
 * one stream's events in parallel, and a receiver in backoff is not due. An announced event can
 * still be behind the delivery horizon (an older transaction is open): while a run leaves events
 * held back, it runs again after 50 ms, doubling to 1 s, for at most HELD_BACK_RETRY_MS; the cron
 * job below stays for retries after a backoff and for what waits longer.
 * Returns the stop, which waits for a run in progress.
 */
export function pushOnRevocation(): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const runs = async () => {
    let pause = 50;
    let paused = 0;
    do {
      again = false;
      if (!(await anyPushStream())) continue;
      const run = await deliverPushStreams().catch((err: unknown) => {
        log.warn("Shared Signals push run failed; the cron job retries", errorFields(err));
        return undefined;
      });
      if (run?.heldBack && !stopped && paused < HELD_BACK_RETRY_MS) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        paused += pause;
        pause = Math.min(pause * 2, 1_000);
        again = true;
      }
    } while (again && !stopped);
  };
  const hear = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runs().finally(() => (running = undefined));
  };
  const stopHearing = onRevocationAnnounced(hear);
  return async () => {
    stopped = true;
    stopHearing();
    await running;
  };
}

/**
 * RFC 8935 push delivery: at once on each revocation (pushOnRevocation), and on a cron
 * (TIM_SSF_PUSH_CRON, every minute) for what is due after a backoff. The revoking paths stay as
 * they are (the outbox trigger), and a receiver's backoff lives on its stream. One cron run at a
 * time across instances (concurrency 1); streams are leased besides.
 */
export const ssfPushJob = defineJob({
  id: "ssf-push",
  name: "Shared Signals push delivery",
  trigger: {
    get cron() {
      return config().TIM_SSF_PUSH_CRON;
    },
  },
  concurrency: 1,
  retries: 0,
  handler: async ({ step }) => step.run("deliver", () => deliverPushStreams()),
});
