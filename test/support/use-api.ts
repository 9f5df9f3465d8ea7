import { afterAll, beforeAll } from "vitest";
import type { CreateClientInput } from "@/lib/clients/create";
import { startTestServer, type TestServer } from "@/test/support/http";
import { newClient, type TestClient } from "@/test/tokens/helpers";

export type Api = {
  /** An address on the file's test server. */
  url: (path: string) => string;
  readonly server: TestServer;
  /** An API client with every scope (and the overrides given to useApi). */
  readonly client: TestClient;
};

/** TIM's API on a test server of this file's own and an API client, from before its first test until after its last. */
export function useApi(client: Partial<CreateClientInput> = {}): Api {
  let server: TestServer | undefined;
  let created: TestClient | undefined;
  beforeAll(async () => {
    server = await startTestServer();
    created = await newClient(client);
  });
  afterAll(async () => server?.close());
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useApi: the test server starts in beforeAll; use it inside tests and hooks");
    return value;
  };
  return {
    url: (path) => `${started(server).url}${path}`,
    get server() {
      return started(server);
    },
    get client() {
      return started(created);
    },
  };
}
