// A second TIM instance for tests across processes: TIM's API routes on a random
// loopback port over the database of DATABASE_URL; prints `ready <url>`.
import { startTestServer } from "@/test/support/http";

void startTestServer().then((server) => {
  console.log(`ready ${server.url}`);
  process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
});
