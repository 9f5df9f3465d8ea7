import { createHash } from "node:crypto";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";
import { limiter, refuseAfterPause, tooManyRequests } from "@/lib/ratelimit/store";

/** Failed authentications are counted over this window. */
const WINDOW_SECONDS = 15 * 60;
const MAX_KNOWN_BLOCKS = 10_000;

/** Keys this instance has seen over their limit, until when: refused without asking the store again. */
const blockedUntil = new Map<string, number>();

function limiters() {
  const cfg = config();
  return Promise.all([
    limiter({ keyPrefix: "auth-fail-address", points: cfg.TIM_AUTH_FAILURES_PER_ADDRESS, durationSeconds: WINDOW_SECONDS }),
    limiter({ keyPrefix: "auth-fail-client", points: cfg.TIM_AUTH_FAILURES_PER_CLIENT, durationSeconds: WINDOW_SECONDS }),
  ]);
}

/** A presented client id is any string: its hash fits the store's key column and holds no NUL. */
function clientKey(clientId: string): string {
  return createHash("sha256").update(clientId).digest("base64url");
}

function refuseIfKnownBlocked(name: string, id: string, points: number, message: string): void {
  const until = blockedUntil.get(id);
  if (until === undefined) return;
  if (Date.now() < until) throw tooManyRequests(name, message, points, until - Date.now());
  blockedUntil.delete(id);
}

/**
 * Counts an attempt against `key`; 429 when that makes more than the limit.
 * The refusal is answered after a pause (refuseAfterPause).
 */
async function count(store: RateLimiterAbstract, key: string, message: string): Promise<void> {
  const id = `${store.keyPrefix}:${key}`;
  try {
    refuseIfKnownBlocked(store.keyPrefix, id, store.points, message);
    const res = await store.penalty(key, 1);
    if (res.consumedPoints <= store.points) return;
    if (blockedUntil.size >= MAX_KNOWN_BLOCKS) blockedUntil.clear();
    blockedUntil.set(id, Date.now() + res.msBeforeNext);
    throw tooManyRequests(store.keyPrefix, message, store.points, res.msBeforeNext);
  } catch (err) {
    if (err instanceof TimError) await refuseAfterPause(err);
    throw err;
  }
}

const FROM_ADDRESS = "Too many failed authentications from this address; try again later.";
const FOR_CLIENT = "Too many failed authentications for this client; try again later.";

/**
 * Counts a secret check that has not been verified before against its source
 * address and the client id it names, before the check runs (so concurrent
 * guesses cannot slip past the limit), and refuses it with 429 past either
 * limit. Returns the function to call when the secret proved correct: it takes
 * the attempt back. A correct secret verified before never comes here, so a
 * third party cannot lock its owner out.
 */
export async function countSecretCheck(address: string | undefined, clientId: string): Promise<() => Promise<void>> {
  const [byAddress, byClient] = await limiters();
  const client = clientKey(clientId);
  if (address) await count(byAddress, address, FROM_ADDRESS);
  await count(byClient, client, FOR_CLIENT);
  return async () => {
    await Promise.all([address ? byAddress.reward(address, 1) : null, byClient.reward(client, 1)]);
  };
}
