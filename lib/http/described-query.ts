import type { z } from "zod";

/**
 * A route's query parser (`route({ query: parse })`) that carries the zod
 * object schemas of the parameters it reads, so the OpenAPI document
 * (lib/openapi/document.ts) lists them as it does a query schema's.
 */
export function describedQuery<T>(parse: (params: URLSearchParams) => T, ...schemas: z.ZodType[]): ((params: URLSearchParams) => T) & { schemas: z.ZodType[] } {
  return Object.assign(parse, { schemas });
}

export function querySchemasOf(query: unknown): z.ZodType[] {
  return typeof query === "function" ? ((query as { schemas?: z.ZodType[] }).schemas ?? []) : [];
}
