import type { ApiRequest } from "@/lib/http/handler";

/**
 * What only a route handler learns about a request, for the server's access log: the request id it
 * answered with and the API client that called (null: no client, or not authenticated).
 */
export type RequestFacts = { requestId: string; clientId: string | null };

// Keyed by the server's request object: an entry goes with its request, nothing to clean up. One map
// per process, as Next bundles lib/ more than once.
const SLOT = Symbol.for("tim.http.request-facts");
const facts = ((globalThis as Record<symbol, unknown>)[SLOT] ??= new WeakMap<object, RequestFacts>()) as WeakMap<object, RequestFacts>;

export function noteRequestFacts(req: ApiRequest, requestId: string, clientId: string | null): void {
  facts.set(req.incoming ?? req, { requestId, clientId });
}

/** The facts noted for a server request (undefined: no route handler answered it). */
export function requestFacts(incoming: object): RequestFacts | undefined {
  return facts.get(incoming);
}
