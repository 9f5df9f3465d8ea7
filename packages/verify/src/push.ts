import type { IncomingMessage, ServerResponse } from "node:http";
import { applySet } from "./events.js";
import { verifySet, type StreamDeps } from "./stream.js";

export type PushOptions = {
  /**
   * The `Authorization` header TIM must send (the push stream's `authorization_header`). Without it any
   * caller may POST: the SETs are still verified with TIM's keys, so a forged one is refused either way.
   */
  authorization?: string;
  /** The push stream's `aud` (its client id), checked on every SET. */
  audience?: string;
};

/** SETs are small (one event each); a body beyond this is refused unread. */
const MAX_BODY_BYTES = 64 * 1024;
const CONTENT_TYPE = "application/secevent+jwt";

function answer(res: ServerResponse, status: number, err?: string, description?: string): void {
  if (!err) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ err, description }));
}

/**
 * An RFC 8935 push receiver for `node:http` (or anything passing IncomingMessage/ServerResponse): each POST
 * carries one SET; it is verified as a polled one is and applied to the same revocation set, so an event that
 * arrives by push and by poll counts once. 202 when applied; 400 `{err, description}` (RFC 8935 §2.4) for a SET
 * that never will be (TIM records it and does not retry); 503 for one signed by a key not fetched yet (TIM
 * retries; the JWKS is fetched again meanwhile) — never a 400 TIM would take as final for a transient cause.
 */
export function pushHandler(opts: PushOptions, deps: StreamDeps & { onPushed: () => void }) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      if (req.method !== "POST") return void res.writeHead(405, { allow: "POST" }).end();
      if (opts.authorization !== undefined && req.headers.authorization !== opts.authorization) {
        return answer(res, 401, "authentication_failed", "The Authorization header is not the one this receiver expects.");
      }
      if ((req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase() !== CONTENT_TYPE) {
        return answer(res, 400, "invalid_request", `The body must be one SET, content-type ${CONTENT_TYPE}.`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) return answer(res, 400, "invalid_request", "The SET is too large.");
        chunks.push(chunk);
      }
      let payload;
      try {
        payload = await verifySet(Buffer.concat(chunks).toString("utf8").trim(), deps, opts.audience);
      } catch (e) {
        const code = (e as { code?: string }).code;
        const claim = (e as { claim?: string }).claim;
        if (code === "ERR_JWKS_NO_MATCHING_KEY") return answer(res, 503, "invalid_key", "Signed by a key this receiver does not hold yet.");
        if (claim === "iss") return answer(res, 400, "invalid_issuer", "The SET's iss is not TIM's.");
        if (claim === "aud") return answer(res, 400, "invalid_audience", "The SET's aud is not this stream's.");
        if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") return answer(res, 400, "invalid_key", "The SET's signature does not verify.");
        return answer(res, 400, "invalid_request", "Not a Security Event Token of TIM.");
      }
      applySet(payload, deps.issuer, deps.revocations);
      deps.onPushed();
      answer(res, 202);
    })().catch((err) => {
      deps.onError(err as Error);
      if (!res.headersSent) answer(res, 500);
    });
  };
}
