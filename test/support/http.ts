import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serveApiRoute } from "@/server/api-server";
import { observed } from "@/server/observe";

export type TestServer = { url: string; close: () => Promise<void> };

export type TestServerOptions = {
  /** A fixed port (default: a random one), e.g. to start TIM again where a client expects it. */
  port?: number;
  /** Sees every request before TIM does (e.g. to count what a client asks of TIM). */
  onRequest?: (req: IncomingMessage) => void;
};

/** Serves TIM's API route handlers over real HTTP on a loopback port (a random one unless given). */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  // Observed as TIM's own server observes it (request metrics, access log).
  const server: Server = createServer(
    observed((req, res) => {
      opts.onRequest?.(req);
      const origin = `http://${req.headers.host ?? "127.0.0.1"}`;
      serveApiRoute(req, res, origin)
        .then((served) => {
          if (!served) {
            res.writeHead(404, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: "not_found", message: "No such route." }));
          }
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
    }),
  );
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    // Open connections too (a client's keep-alive socket, a poll in flight): close() alone waits for them, and a
    // test that stops TIM to see what a client does meanwhile (packages/verify) hung on it in CI.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
