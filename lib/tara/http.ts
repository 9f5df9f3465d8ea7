import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";

/** TARA did not answer in time. */
export const taraTimeout = () => new TimError("tara_timeout", "TARA did not answer in time. Please try logging in again.", { provider: "tara" });

/** TARA could not be reached or answered with something unusable. */
export const taraUnavailable = (what: string) =>
  new TimError("tara_unavailable", `TARA is not reachable or gave an unusable answer (${what}). Please try again later.`, {
    provider: "tara",
  });

const caMisconfigured = (why: string) => new TimError("tara_not_configured", `TARA_CA_FILE ${why}.`, { provider: "tara" });

/** Discovery, JWKS and token answers are small; anything larger is not TARA's. */
const MAX_ANSWER_BYTES = 1024 * 1024;

let anchors: { file: string; pem: string } | undefined;

/** The PEM of TARA_CA_FILE (read once per path), or undefined when TIM uses the system store. */
function trustAnchors(): string | undefined {
  const file = config().TARA_CA_FILE;
  if (!file) return undefined;
  if (anchors?.file !== file) {
    let pem: string;
    try {
      pem = readFileSync(file, "utf8");
    } catch {
      throw caMisconfigured(`cannot be read (${file})`);
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw caMisconfigured(`holds no PEM certificate (${file})`);
    anchors = { file, pem };
  }
  return anchors.pem;
}

/**
 * A fetch to TARA with TIM's timeout; network failures and timeouts become
 * TARA errors. With TARA_CA_FILE the TLS connection must chain to one of its
 * certificates, no other CA (TARA spec §5.1.2 "Verifying the TLS connection to
 * endpoints"); Node's TLS still checks the host name, validity and
 * constraints, with TLS 1.2 or 1.3 (§5.1.2.1).
 */
export async function fetchTara(url: string, init: RequestInit, timeoutMs: number, what: string): Promise<Response> {
  const ca = trustAnchors();
  if (ca && new URL(url).protocol !== "https:") throw caMisconfigured(`is set, but TARA's ${what} (${url}) is not HTTPS`);
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = ca ? await pinnedFetch(url, init, ca, signal) : await fetch(url, { ...init, redirect: "error", signal });
  } catch (err) {
    const name = (err as { name?: string })?.name;
    if (name === "TimeoutError" || name === "AbortError") throw taraTimeout();
    throw taraUnavailable(what);
  }
  // As fetch's redirect: "error": TARA's endpoints do not redirect.
  if (res.status >= 300 && res.status < 400) throw taraUnavailable(`${what} redirected`);
  return res;
}

/** A fetch over node:https trusting only the CAs in `ca` (PEM); redirects are answered, not followed. */
export function pinnedFetch(url: string, init: RequestInit, ca: string, signal: AbortSignal): Promise<Response> {
  const body = init.body === undefined || init.body === null ? undefined : String(init.body);
  const headers = Object.fromEntries(new Headers(init.headers));
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: init.method ?? "GET", headers, ca, minVersion: "TLSv1.2", signal }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error("answer too large"));
        else chunks.push(chunk);
      });
      res.on("end", () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) answer.append(name, v);
        }
        const empty = status === 204 || status === 304;
        resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: answer }));
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
