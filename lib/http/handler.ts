import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { config } from "@/lib/config/env";
import { statusOf, type ErrorCode } from "@/lib/http/error-codes";
import { TimError, isDataRefusal, isDatabaseUnavailable, refusedInput } from "@/lib/http/errors";
import { errorFields, log } from "@/lib/log/logger";
import { describeZodError } from "@/lib/http/zod-messages";

export type RouteContext<P = Record<string, string>> = { params: Promise<P> };

/**
 * What TIM's route handlers read from a request. A web `Request` is one (Next
 * calls the handlers with it); the custom server passes a light wrapper of
 * Node's request instead, so its hot paths build no undici objects.
 */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
  /** The whole body, when the server has read it already (then `body` is null). */
  readonly bodyBytes?: Buffer;
  /** The peer's socket address, when the server knows it (see `sourceAddress`). */
  readonly remoteAddress?: string;
  /** The server's own request object this one wraps (what the access log keys a request's facts by). */
  readonly incoming?: object;
}

/** A JSON answer: serialised once, written as is by the custom server, turned into a `Response` for Next. */
export class JsonReply {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Record<string, string>,
  ) {}

  toResponse(): Response {
    return new Response(this.text, { status: this.status, headers: this.headers });
  }
}

/** What a route handler answers: JSON, or any web Response (redirects, pages, streams). */
export type Reply = JsonReply | Response;

export function json(body: unknown, status = 200, headers?: Record<string, string>): JsonReply {
  // Object.assign, not a spread: a spread copy that then gains keys costs ~10x more (every answer pays it).
  const all: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  };
  if (headers) Object.assign(all, headers);
  return new JsonReply(status, JSON.stringify(body), all);
}

/** TIM's one error shape, `{ ...fields, error, message }`, with the code's status (lib/http/error-codes.ts). */
export function errorJson(code: ErrorCode, message: string, fields: Record<string, unknown> = {}, headers?: Record<string, string>): JsonReply {
  return json({ ...fields, error: code, message }, statusOf(code), headers);
}

/** Maps any thrown value to TIM's one error shape: `{ error, message, ...fields }`. */
export function errorResponse(err: unknown, requestId?: string): JsonReply {
  if (err instanceof TimError) {
    return json({ ...err.body, error: err.code, message: err.message }, err.status, err.headers);
  }
  if (isDatabaseUnavailable(err)) {
    log.warn("database unavailable", { request_id: requestId, ...errorFields(err) });
    return errorJson("service_unavailable", "The database is not reachable; try again shortly.");
  }
  if (isDataRefusal(err)) {
    // Input the schemas let through but the database refused: still the request's own fault, never a 500.
    log.warn("database refused a request's data", { request_id: requestId, ...errorFields(err) });
    return errorResponse(refusedInput(err, "request"), requestId);
  }
  log.error("unhandled error", { request_id: requestId, ...errorFields(err) });
  return errorJson("internal_error", "An internal error occurred.", { request_id: requestId });
}

export function toResponse(reply: Reply): Response {
  return reply instanceof JsonReply ? reply.toResponse() : reply;
}

/** A caller's x-request-id of this shape is kept (logs, audit, the echoed header); anything else gets a fresh one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request: the caller's `x-request-id`, trimmed, when it is sane,
 * else a fresh UUID. Read once per request, by the wrappers (`route`,
 * `adminAction`), which hand it on to logs and audit rows.
 */
export function requestIdOf(headers: { get(name: string): string | null }): string {
  const given = headers.get("x-request-id")?.trim();
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Reads the body as text, refusing more than `limit` (default TIM_MAX_BODY_BYTES) with 413. */
export async function readBodyText(req: ApiRequest, limit = config().TIM_MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  if (req.bodyBytes) {
    if (req.bodyBytes.byteLength > limit) throw tooLarge(limit);
    return req.bodyBytes.toString("utf8");
  }
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(limit: number): TimError {
  return new TimError("payload_too_large", `The request body exceeds ${limit} bytes.`);
}

export type ReadBodyOptions = { allowForm?: boolean; extra?: Record<string, unknown>; maxBytes?: number; emptyAs?: unknown };

/**
 * Parses a JSON (or, when `allowForm`, form-encoded) body against a zod schema.
 * Malformed input is a 400 with TIM's error shape plus `extra` fields; an
 * empty body is `emptyAs` when given, else a 400.
 */
export async function readBody<S extends z.ZodType>(req: ApiRequest, schema: S, options: ReadBodyOptions = {}): Promise<z.infer<S>> {
  return parseBodyValue(await readRawBody(req, options), schema, options);
}

/** The body as a value (JSON, or form fields as an object when `allowForm`), before any schema; `emptyAs` for an empty body. */
export async function readRawBody(req: ApiRequest, options: ReadBodyOptions = {}): Promise<unknown> {
  const text = await readBodyText(req, options.maxBytes);
  const type = req.headers.get("content-type") ?? "";
  if (options.allowForm && type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  try {
    return text === "" ? options.emptyAs : JSON.parse(text);
  } catch {
    throw new TimError("invalid_json", "The request body is not valid JSON.", options.extra);
  }
}

/** Checks a body value read by `readRawBody` against its schema: 400 in TIM's shape when it does not fit. */
export function parseBodyValue<S extends z.ZodType>(raw: unknown, schema: S, options: ReadBodyOptions = {}): z.infer<S> {
  raw ??= options.emptyAs;
  if (raw === undefined) throw new TimError("invalid_request", "A request body is required.", options.extra);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new TimError("invalid_request", describeZodError(parsed.error), options.extra);
  }
  return parsed.data;
}
