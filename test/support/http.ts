import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serveApiRoute } from "@/server/api-server";
import { observed } from "@/server/observe";

export type TestServer = { url: string; close: () => Promise<void> };

/** Serves TIM's API route handlers over real HTTP on a random loopback port. */
export async function startTestServer(): Promise<TestServer> {
  // Observed as TIM's own server observes it (request metrics, access log).
  const server: Server = createServer(
    observed((req, res) => {
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
