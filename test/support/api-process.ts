/**
 * TIM's API in a process of its own (run with `node --max-old-space-size=N --import tsx`, as `npm start`
 * caps the heap): tests that need a separate process, its memory and its connections use it.
 * With `--runtime` it first prepares TIM as `npm start` does (migrations, signing key, bootstrap client,
 * TARA stand-in when TARA_ISSUER is unset, job runner), for tests of a whole TIM.
 * Prints `ready <url>` once it listens.
 */
import { migrate } from "@/lib/db/migrate";
import { prepareRuntime } from "@/server/runtime";
import { startTestServer } from "@/test/support/http";

if (process.argv.includes("--runtime")) {
  await migrate();
  await prepareRuntime({ requestedHost: "127.0.0.1", port: 0 });
}
const server = await startTestServer();
process.stdout.write(`ready ${server.url}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
