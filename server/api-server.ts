import type { IncomingMessage, ServerResponse } from "node:http";
import { errorResponse, json } from "@/lib/http/handler";
import { matchRoute } from "@/server/routes";
import { sendWebResponse, toWebRequest } from "@/server/node-adapter";

/**
 * Serves a request from the API route table. Returns false when the path is
 * not an API route (the caller then hands it to Next).
 */
export async function serveApiRoute(req: IncomingMessage, res: ServerResponse, origin: string): Promise<boolean> {
  const pathname = new URL(req.url ?? "/", origin).pathname;
  const match = matchRoute(pathname);
  if (!match) return false;
  const mod = await match.entry.load();
  const method = (req.method ?? "GET").toUpperCase() as keyof typeof mod;
  const fn = mod[method] ?? (method === ("HEAD" as keyof typeof mod) ? mod.GET : undefined);
  let response: Response;
  if (!fn) {
    const allow = Object.keys(mod).filter((k) => /^[A-Z]+$/.test(k)).join(", ");
    response = json({ error: "method_not_allowed", message: `Use ${allow}.` }, 405, { allow });
  } else {
    try {
      response = await fn(toWebRequest(req, origin), { params: Promise.resolve(match.params) });
    } catch (err) {
      response = errorResponse(err);
    }
  }
  await sendWebResponse(res, response, req);
  return true;
}
