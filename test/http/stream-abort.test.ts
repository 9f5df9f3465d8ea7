import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "vitest";
import { sendWebResponse } from "@/server/node-adapter";

test("a client that disconnects mid-stream cancels the response body's producer", async () => {
  let pulled = 0;
  let cancelled = false;
  const chunk = new Uint8Array(64 * 1024);
  let sending: Promise<void> | undefined;
  const server = createServer((req, res) => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    sending = sendWebResponse(res, new Response(body), req);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const req = request({ port, host: "127.0.0.1", path: "/" }, (res) => {
      res.once("data", () => {
        // Read one chunk, then stop reading and go away.
        res.pause();
        req.destroy();
        resolve();
      });
    });
    req.end();
  });
  await sending;
  expect(cancelled).toBe(true);
  const pulledAtEnd = pulled;
  await new Promise((r) => setTimeout(r, 100));
  expect(pulled).toBe(pulledAtEnd);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
