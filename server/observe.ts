import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { requestFacts } from "@/lib/http/request-facts";
import { log } from "@/lib/log/logger";
import { observeRequest } from "@/lib/metrics/registry";

/** The metrics' route of everything Next serves (pages, assets): their paths are unbounded. The access log has the pathname. */
export const NEXT_ROUTE = "next";
/** The route of an API path no route matched (its path is the caller's to choose). */
export const UNMATCHED_API_ROUTE = "unmatched";
/** The status recorded for a response the client went away from before it was sent (as nginx counts it). */
const CLIENT_CLOSED = 499;

const STARTED = Symbol("tim.started");
const ROUTE = Symbol("tim.route");
// Kept on the response itself, so the close listener is one shared function and a request allocates no closure.
type Observed = ServerResponse & { [STARTED]?: number; [ROUTE]?: string };

/** Names the route a response belongs to (an API route's pattern); unnamed responses are Next's. */
export function noteRoute(res: ServerResponse, route: string): void {
  (res as Observed)[ROUTE] = route;
}

function recorded(this: Observed): void {
  const seconds = (performance.now() - this[STARTED]!) / 1000;
  const req: IncomingMessage = this.req;
  const status = this.writableFinished ? this.statusCode : CLIENT_CLOSED;
  observeRequest(this[ROUTE] ?? NEXT_ROUTE, req.method, status, seconds);
  if (!log.enabled("info")) return;
  const facts = requestFacts(req);
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  log.info("request", {
    method: req.method,
    // API: the route pattern; pages: the pathname only (a query string can hold a token or a TARA code).
    route: this[ROUTE] ?? (query < 0 ? url : url.slice(0, query)),
    status,
    duration_ms: Math.round(seconds * 100_000) / 100,
    client_id: facts?.clientId ?? null,
    request_id: facts?.requestId ?? null,
  });
}

/**
 * Wraps a request listener: once each response is done (or abandoned) it is recorded in the request
 * metrics (route, method, status, latency) and as one access-log line (info).
 */
export function observed(listener: RequestListener): RequestListener {
  return (req, res: Observed) => {
    res[STARTED] = performance.now();
    res.once("close", recorded);
    listener(req, res);
  };
}
