import { z } from "zod";
import { TimError } from "@/lib/http/errors";
import { json, readBodyText } from "@/lib/http/handler";
import { readCookie } from "@/lib/http/cookies";
import { route } from "@/lib/http/route";
import { TARA_COOKIE, taraCookie, taraTokenFrom } from "@/lib/tara/cookie";
import { extendTaraToken } from "@/lib/tara/extend";
import { originOf } from "@/lib/tokens/origin";
import { taraExtendResponse } from "@/lib/tokens/responses";

export const dynamic = "force-dynamic";

const bodySchema = z.object({ token: z.string().min(1).max(16_384).optional() }).strict();

/**
 * A new TIM TARA JWT in the same chain and session; the old one is revoked. Token in the body, as bearer or cookie.
 * The body is read here rather than declared: an empty body and any unreadable one have answers of their own.
 */
export const POST = route(
  {
    auth: "token",
    readsBody: { schema: bodySchema, emptyAs: {} },
    example: { token: "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl" },
    errors: ["extend_denied", "extend_conflict", "invalid_session", "metadata_not_recorded"],
    responses: { 200: taraExtendResponse },
  },
  async ({ req, requestId }) => {
    const text = await readBodyText(req);
    let fromBody: string | undefined;
    if (text.trim() !== "") {
      const parsed = bodySchema.safeParse(safeJson(text));
      if (!parsed.success) throw new TimError("invalid_request", 'The body must be JSON {"token": "…"} or empty.');
      fromBody = parsed.data.token;
    }
    const token = fromBody ?? taraTokenFrom(req);
    if (!token) throw new TimError("invalid_request", "Give the TIM TARA JWT in the body, as bearer token or cookie.");
    const extended = await extendTaraToken(token, originOf(req), requestId);
    // A browser that sent the cookie gets the new token the same way.
    const headers: Record<string, string> =
      readCookie(req, TARA_COOKIE) === token ? { "set-cookie": taraCookie(extended.token, Date.parse(extended.expiresAt) / 1000 - Date.now() / 1000) } : {};
    return json(
      { status: "extended", name: extended.name, token: extended.token, expiresAt: extended.expiresAt, session_id: extended.payload.sid },
      200,
      headers,
    );
  },
);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
