import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";
import { JsonReply, type ApiRequest, type Reply } from "@/lib/http/handler";

export type WebHandler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/**
 * Reads a body declared within the default body limit whole (no stream
 * adapter per request); larger ones stream to the handler, which may refuse
 * them before reading (413).
 */
export async function readSmallBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return undefined;
  const declared = Number(req.headers["content-length"]);
  if (!Number.isInteger(declared) || declared > config().TIM_MAX_BODY_BYTES) return undefined;
  // Plain events: an async iterator per request costs more than reading the few chunks of a small body.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once("error", reject);
    req.once("close", () => {
      if (!req.complete) reject(new TimError("request_aborted", "The request body ended early."));
    });
  });
}

/**
 * A Node request as route handlers read it (`ApiRequest`): headers straight
 * from Node's parsed object, the body already read or streamed on demand.
 */
export class NodeApiRequest implements ApiRequest {
  readonly headers: { get(name: string): string | null };

  constructor(
    readonly incoming: IncomingMessage,
    readonly url: string,
    readonly bodyBytes: Buffer | undefined,
  ) {
    const raw = incoming.headers;
    this.headers = {
      get(name) {
        const value = raw[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(", ") : value;
      },
    };
  }

  get method(): string {
    return this.incoming.method ?? "GET";
  }

  get remoteAddress(): string | undefined {
    return this.incoming.socket.remoteAddress;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.bodyBytes || this.method === "GET" || this.method === "HEAD") return null;
    return Readable.toWeb(this.incoming) as ReadableStream<Uint8Array>;
  }
}

/** Converts a Node request into a web Request (`body` when read already, else streamed). */
export function toWebRequest(req: IncomingMessage, origin: string, body?: Buffer): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  if (body) return new Request(new URL(req.url ?? "/", origin), { method, headers, body: body as Uint8Array<ArrayBuffer> });
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // @ts-expect-error Node's fetch needs duplex for streamed request bodies
    duplex: hasBody ? "half" : undefined,
  });
}

/** Writes a route handler's answer: JSON in one write, a web Response through `sendWebResponse`. */
export async function sendReply(res: ServerResponse, reply: Reply, req?: IncomingMessage): Promise<void> {
  if (!(reply instanceof JsonReply)) return sendWebResponse(res, reply, req);
  // The reply is this request's own: its headers are completed in place rather than copied.
  const headers = reply.headers;
  headers["content-length"] = String(Buffer.byteLength(reply.text));
  if (req && !req.complete) headers.connection = "close";
  res.writeHead(reply.status, headers);
  res.end(reply.text);
}

/**
 * Writes a web Response to a Node response. A body of one chunk (every JSON
 * answer) goes out in one write with its content-length; longer bodies stream.
 * A response sent before the request body was read (413) closes the
 * connection, so the unread rest of that body is not taken for the next request.
 */
export async function sendWebResponse(res: ServerResponse, response: Response, req?: IncomingMessage): Promise<void> {
  // Defaults a route's own headers override: never sniffed, never cached unless the route says so.
  const headers: Record<string, string | string[]> = { "x-content-type-options": "nosniff", "cache-control": "no-store" };
  if (req && !req.complete) headers.connection = "close";
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  if (!response.body) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const first = await reader.read();
  const second = first.done ? first : await reader.read();
  if (second.done) {
    const whole = first.value ?? new Uint8Array(0);
    if (!("content-length" in headers)) headers["content-length"] = String(whole.byteLength);
    res.writeHead(response.status, headers);
    res.end(whole);
    return;
  }
  res.writeHead(response.status, headers);
  res.write(first.value);
  // A client that goes away mid-stream (an abandoned export) must stop the
  // producer, not leave it waiting for a drain that never comes.
  let gone = false;
  const onClose = () => {
    gone = true;
    res.emit("drain");
    void reader.cancel().catch(() => undefined);
  };
  res.once("close", onClose);
  let next: ReadableStreamReadResult<Uint8Array> = second;
  while (!next.done && !gone) {
    if (!res.write(next.value)) await new Promise((resolve) => res.once("drain", resolve));
    if (!gone) next = await reader.read();
  }
  res.off("close", onClose);
  if (!gone) res.end();
}
