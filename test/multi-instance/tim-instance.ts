/**
 * One TIM instance for the multi-instance test: the same start-up as
 * `npm start` (migrations, runtime with the job runner and the denylist
 * listener, the framework-independent API routes) without the Next pages,
 * so three instances start in seconds without a production build.
 * Prints "ready <port>" once it listens on 127.0.0.1 (TIM_TEST_PORT, else an ephemeral port);
 * a line "rotate" on stdin makes it "Rotate now" (answered "rotated <json>").
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { rotateKeyNow } from "@/lib/admin/keys";
import { closeDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { serveApiRoute } from "@/server/api-server";
import { prepareRuntime } from "@/server/runtime";

try {
  await migrate();
  const runtime = await prepareRuntime({ requestedHost: "127.0.0.1", port: 0 });
  const server = createServer((req, res) => {
    serveApiRoute(req, res, `http://${req.headers.host}`)
      .then((served) => {
        if (!served) res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found","message":"Not served here."}');
      })
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env.TIM_TEST_PORT ?? 0), "127.0.0.1", resolve));
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
  // Console actions the test asks this instance for, one per stdin line (the console's server actions need the Next pages).
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line.trim() !== "rotate") return;
    rotateKeyNow({ type: "administrator", id: "multi-instance-test" }).then(
      (rotation) => process.stdout.write(`rotated ${JSON.stringify(rotation)}\n`),
      (err: unknown) => process.stdout.write(`rotate failed ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  process.on("SIGTERM", () => {
    server.close();
    void runtime
      .stop()
      .then(() => closeDb())
      .finally(() => process.exit(0));
  });
} catch (err) {
  process.stderr.write(`cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
