import { createServer, type Server } from "node:http";
import next from "next";
import { SOURCE_ADDRESS_HEADER, addressFrom } from "@/lib/http/address";
import { newNonce, pageSecurityHeaders } from "@/lib/http/page-headers";
import { isCrossOriginAction } from "@/lib/http/server-actions";
import { serveApiRoute } from "@/server/api-server";
import { observed } from "@/server/observe";

export type RunningServer = { server: Server; url: string; close: () => Promise<void> };

/**
 * TIM's HTTP server: framework-independent API routes are served straight
 * from their route handlers (no per-request Next pipeline on hot paths);
 * pages, next-auth and everything else go to Next, with the page security
 * headers and a fresh CSP nonce per response. Every response is recorded
 * in the request metrics and the access log (server/observe.ts).
 */
export async function startHttpServer(options: { port: number; host: string; dev: boolean }): Promise<RunningServer> {
  const app = next({ dev: options.dev, dir: process.cwd(), hostname: options.host, port: options.port });
  await app.prepare();
  const handleNext = app.getRequestHandler();
  const server = createServer(
    observed((req, res) => {
      const origin = `http://${req.headers.host ?? `${options.host}:${options.port}`}`;
      serveApiRoute(req, res, origin)
        .then((served) => {
          if (served) return;
          if (isCrossOriginAction(req.method, req.url ?? "/", req.headers)) {
            res.writeHead(403, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
            res.end(JSON.stringify({ error: "cross_origin_request", message: "This form may only be submitted from TIM's own pages." }));
            return;
          }
          const headers = pageSecurityHeaders(newNonce(), options.dev);
          for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
          // Next takes the nonce for the scripts it renders from the request's CSP; whatever the client sent is replaced.
          req.headers["content-security-policy"] = headers["content-security-policy"];
          delete req.headers["content-security-policy-report-only"];
          const source = addressFrom(req.socket.remoteAddress, req.headers["x-forwarded-for"]);
          if (source) req.headers[SOURCE_ADDRESS_HEADER] = source;
          else delete req.headers[SOURCE_ADDRESS_HEADER];
          return handleNext(req, res);
        })
        .catch(() => {
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "internal_error", message: "An internal error occurred." }));
        });
    }),
  );
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const shownHost = options.host === "0.0.0.0" || options.host === "127.0.0.1" ? "localhost" : options.host;
  return {
    server,
    url: `http://${shownHost}:${options.port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await app.close();
    },
  };
}
