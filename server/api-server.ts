import type { IncomingMessage, ServerResponse } from "node:http";
import { errorJson, errorResponse, type Reply } from "@/lib/http/handler";
import { directHandler } from "@/lib/http/route";
import { matchRoute, type RouteEntry } from "@/server/routes";
import { NodeApiRequest, readSmallBody, sendReply, toWebRequest } from "@/server/node-adapter";
import { takeUncredentialedRequest } from "@/lib/ratelimit/requests";
import { unknownApiPath } from "@/lib/http/not-found";
import { UNMATCHED_API_ROUTE, noteRoute } from "@/server/observe";

// A dynamic import() of a loaded module still runs the loader's resolve hooks
// (a round trip to tsx's worker): load each route module once.
const loaded = new Map<RouteEntry, ReturnType<RouteEntry["load"]>>();

function loadRoute(entry: RouteEntry): ReturnType<RouteEntry["load"]> {
  let mod = loaded.get(entry);
  if (!mod) {
    mod = entry.load();
    loaded.set(entry, mod);
    mod.catch(() => loaded.delete(entry));
  }
  return mod;
}

/**
 * Serves a request from the API route table. Returns false when the path is
 * not an API route (the caller then hands it to Next).
 */
export async function serveApiRoute(req: IncomingMessage, res: ServerResponse, origin: string): Promise<boolean> {
  const path = req.url ?? "/";
  const query = path.indexOf("?");
  const pathname = query < 0 ? path : path.slice(0, query);
  const match = matchRoute(pathname);
  if (!match) {
    const notFound = unknownApiPath(pathname);
    if (!notFound) return false;
    noteRoute(res, UNMATCHED_API_ROUTE);
    await sendReply(res, notFound, req);
    return true;
  }
  // The metrics and the access log name the route by its pattern, never the raw URL (query strings and TARA callbacks carry credentials).
  noteRoute(res, match.entry.pattern);
  const mod = await loadRoute(match.entry);
  const method = (req.method ?? "GET").toUpperCase() as keyof typeof mod;
  const fn = mod[method] ?? (method === ("HEAD" as keyof typeof mod) ? mod.GET : undefined);
  let reply: Reply;
  if (!fn) {
    const allow = Object.keys(mod)
      .filter((k) => /^[A-Z]+$/.test(k))
      .join(", ");
    reply = errorJson("unsupported_method", `Use ${allow}.`, {}, { allow });
  } else {
    try {
      const body = await readSmallBody(req);
      const ctx = { params: Promise.resolve(match.params) };
      const direct = directHandler(fn);
      const request = new NodeApiRequest(req, origin + path, body);
      await takeUncredentialedRequest(request);
      reply = direct ? await direct(request, ctx) : await fn(toWebRequest(req, origin, body), ctx);
    } catch (err) {
      reply = errorResponse(err);
    }
  }
  await sendReply(res, reply, req);
  return true;
}
