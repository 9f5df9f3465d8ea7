import { TimError } from "@/lib/http/errors";

/** TARA did not answer in time. */
export const taraTimeout = () =>
  new TimError("tara_timeout", "TARA did not answer in time. Please try logging in again.", { provider: "tara" });

/** TARA could not be reached or answered with something unusable. */
export const taraUnavailable = (what: string) =>
  new TimError("tara_unavailable", `TARA is not reachable or gave an unusable answer (${what}). Please try again later.`, {
    provider: "tara",
  });

/** A fetch to TARA with TIM's timeout; network failures and timeouts become TARA errors. */
export async function fetchTara(url: string, init: RequestInit, timeoutMs: number, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const name = (err as { name?: string })?.name;
    if (name === "TimeoutError" || name === "AbortError") throw taraTimeout();
    throw taraUnavailable(what);
  }
}
