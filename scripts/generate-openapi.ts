/**
 * Writes lib/openapi/openapi.generated.json, the OpenAPI 3.1 document TIM
 * serves at /openapi.json and /openapi.yaml, from the route table
 * (server/routes.generated.ts) and what each handler declares
 * (lib/openapi/document.ts). Run after changing a route, its schemas or an
 * error code (`npm run openapi`); test/http/openapi.test.ts fails while the
 * committed document is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { declaredSpec } from "@/lib/http/route";
import { openApiDocument, type HttpMethod, type OperationInput } from "@/lib/openapi/document";
import { apiRoutes } from "@/server/routes.generated";

export const OPENAPI_FILE = "lib/openapi/openapi.generated.json";

export async function openApiOperations(): Promise<OperationInput[]> {
  const operations: OperationInput[] = [];
  for (const entry of apiRoutes) {
    const mod = (await entry.load()) as Record<string, unknown>;
    for (const [method, auth] of Object.entries(entry.auth)) {
      operations.push({ pattern: entry.pattern, method: method as HttpMethod, auth: auth!, spec: auth === "own" ? undefined : declaredSpec(mod[method]) });
    }
  }
  return operations;
}

export async function openApiSource(): Promise<string> {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  return `${JSON.stringify(openApiDocument(await openApiOperations(), version), null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeFileSync(OPENAPI_FILE, await openApiSource());
  console.log(`wrote ${OPENAPI_FILE}`);
  process.exit(0);
}
