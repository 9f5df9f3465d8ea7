import type { ApiRequest } from "@/lib/http/handler";

/**
 * What only a route handler learns about a request, for the server's access log: the request id it
 * answered with and the API client that called (null: no client, or not authenticated).
 */
export type RequestFacts = { requestId: string; clientId: string | null };

// Kept on the server's request object itself: the facts go with their request, nothing to clean up, and no
// WeakMap (whose entries cost ~0.6 µs a request in GC bookkeeping, against a few ns for a property).
const FACTS = Symbol.for("tim.http.request-facts");
type Carrier = { [FACTS]?: RequestFacts };

export function noteRequestFacts(req: ApiRequest, requestId: string, clientId: string | null): void {
  ((req.incoming ?? req) as Carrier)[FACTS] = { requestId, clientId };
}

/** The facts noted for a server request (undefined: no route handler answered it). */
export function requestFacts(incoming: object): RequestFacts | undefined {
  return (incoming as Carrier)[FACTS];
}
