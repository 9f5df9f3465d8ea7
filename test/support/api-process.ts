/**
 * TIM's API in a process of its own (run with `node --max-old-space-size=N --import tsx`, as `npm start`
 * caps the heap): tests that need a separate process, its memory and its connections use it.
 * Prints `ready <url>` once it listens.
 */
import { startTestServer } from "@/test/support/http";

const server = await startTestServer();
process.stdout.write(`ready ${server.url}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
