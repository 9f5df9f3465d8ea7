import { createHash } from "node:crypto";
import { config } from "@/lib/config/env";
import { limiter, tooManyRequests } from "@/lib/ratelimit/store";

/** Failed authentications are counted over this window. */
const WINDOW_SECONDS = 15 * 60;

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

/**
 * Refuses (429) a secret check that has not been verified before when its
 * source address, or the client id it names, has failed too often lately.
 * Only unverified attempts come here: a correct secret already verified by
 * this process passes without, so a third party cannot lock the owner out.
 */
export async function refuseWhileFailing(address: string | undefined, clientId: string): Promise<void> {
  const [byAddress, byClient] = await limiters();
  const [fromAddress, forClient] = await Promise.all([
    address ? byAddress.get(address) : null,
    byClient.get(clientKey(clientId)),
  ]);
  if (fromAddress && fromAddress.consumedPoints >= byAddress.points) {
    throw tooManyRequests("Too many failed authentications from this address; try again later.", byAddress.points, fromAddress.msBeforeNext);
  }
  if (forClient && forClient.consumedPoints >= byClient.points) {
    throw tooManyRequests("Too many failed authentications for this client; try again later.", byClient.points, forClient.msBeforeNext);
  }
}

/** Counts a failed authentication against its address and the client id it named. */
export async function recordFailure(address: string | undefined, clientId: string): Promise<void> {
  const [byAddress, byClient] = await limiters();
  await Promise.all([address ? byAddress.penalty(address, 1) : null, byClient.penalty(clientKey(clientId), 1)]);
}
