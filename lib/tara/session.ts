import type { ApiRequest } from "@/lib/http/handler";
import { z } from "zod";
import { authenticateClient, presentsClientCredentials } from "@/lib/clients/authenticate";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import type { TaraJwtMetadata } from "@/lib/generated/prisma/client";
import { TimError } from "@/lib/http/errors";
import { InvalidTokenError } from "@/lib/jwt/verify";
import { taraTokenFrom } from "@/lib/tara/cookie";
import { checkToken } from "@/lib/tokens/check";
import { tokenStatus, type TokenStatus } from "@/lib/tokens/status";

/** A session's status is its newest token's (lib/tokens/status.ts; the newest is never superseded). */
export type SessionStatus = TokenStatus;

/** One TARA session: the newest token of its chain (extensions keep the session id). */
export type TaraSession = {
  sessionId: string;
  subject: string;
  status: SessionStatus;
  revokedReason: string | null;
  givenName: string | null;
  familyName: string | null;
  dateOfBirth: string | null;
  authMethod: string | null;
  levelOfAssurance: string | null;
  authTime: Date | null;
  /** When the session began (its first token) and when the current token was issued and expires. */
  startedAt: Date;
  issuedAt: Date;
  expiresAt: Date;
  jwtUuid: string;
  /** Where the current token came from: the browser at the login's callback, or the one that last extended it. */
  clientAddress: string | null;
  userAgent: string | null;
};

export const sessionIdSchema = z.string().uuid();

const claimsSchema = z.object({ date_of_birth: z.string().nullish(), auth_time: z.number().nullish() }).partial();

/** Sessions from their metadata rows: the head of each chain (the row nothing supersedes) decides the status. */
async function sessionsFromRows(rows: TaraJwtMetadata[]): Promise<TaraSession[]> {
  const superseded = new Set(rows.map((r) => r.supersedes).filter(Boolean));
  const heads = new Map<string, TaraJwtMetadata>();
  const starts = new Map<string, Date>();
  for (const row of rows) {
    if (!row.sessionId) continue;
    const head = heads.get(row.sessionId);
    if (!superseded.has(row.id) && (!head || row.issuedAt > head.issuedAt)) heads.set(row.sessionId, row);
    const start = starts.get(row.sessionId);
    if (!start || row.issuedAt < start) starts.set(row.sessionId, row.issuedAt);
  }
  if (heads.size === 0) return [];
  const prisma = await db();
  const jtis = [...heads.values()].map((r) => r.jwtUuid);
  const denied = new Map(
    (await prisma.taraDenylist.findMany({ where: { jwtUuid: { in: jtis } }, select: { jwtUuid: true, reason: true } })).map((d) => [d.jwtUuid, d.reason]),
  );
  const allowed = config().TARA_REQUIRE_ALLOWLIST
    ? new Set((await prisma.taraAllowlist.findMany({ where: { jwtUuid: { in: jtis } }, select: { jwtUuid: true } })).map((a) => a.jwtUuid))
    : undefined;
  const now = Date.now();
  return [...heads.values()]
    .map((row) => {
      const claims = claimsSchema.safeParse(row.claimsJson);
      const revoked = denied.has(row.jwtUuid) || (allowed !== undefined && !allowed.has(row.jwtUuid));
      const status: SessionStatus = tokenStatus(row.expiresAt, revoked ? { reason: denied.get(row.jwtUuid) ?? null } : null, now);
      return {
        sessionId: row.sessionId!,
        subject: row.subject ?? "",
        status,
        revokedReason: revoked ? (denied.get(row.jwtUuid) ?? "not on the allowlist") : null,
        givenName: row.givenName,
        familyName: row.familyName,
        dateOfBirth: claims.success ? (claims.data.date_of_birth ?? null) : null,
        authMethod: row.authMethod,
        levelOfAssurance: row.levelOfAssurance,
        authTime: claims.success && claims.data.auth_time ? new Date(claims.data.auth_time * 1000) : null,
        startedAt: starts.get(row.sessionId!)!,
        issuedAt: row.issuedAt,
        expiresAt: row.expiresAt,
        jwtUuid: row.jwtUuid,
        clientAddress: row.clientAddress,
        userAgent: row.userAgent,
      };
    })
    .sort((a, b) => b.issuedAt.getTime() - a.issuedAt.getTime());
}

/** A session by its id, or undefined when TIM never issued it. */
export async function findTaraSession(sessionId: string): Promise<TaraSession | undefined> {
  if (!sessionIdSchema.safeParse(sessionId).success) return undefined;
  const prisma = await db();
  const rows = await prisma.taraJwtMetadata.findMany({ where: { sessionId } });
  return (await sessionsFromRows(rows))[0];
}

/** How many of a person's most recent tokens /me looks at. */
const LIST_LIMIT = 500;

/** A session as /me lists it: with how often and when its tokens (every version of it) were last used. */
export type ListedTaraSession = TaraSession & { useCount: number; lastUsedAt: Date | null };

/** A person's TARA sessions, newest first, with their use (the token-usage counters, summed over each chain). */
export async function listTaraSessions(subject: string): Promise<ListedTaraSession[]> {
  const prisma = await db();
  const rows = await prisma.taraJwtMetadata.findMany({
    where: { subject },
    orderBy: { issuedAt: "desc" },
    take: LIST_LIMIT,
  });
  const sessions = await sessionsFromRows(rows);
  const sessionOf = new Map(rows.filter((r) => r.sessionId).map((r) => [r.jwtUuid, r.sessionId!]));
  const usage = await prisma.taraTokenUsage.findMany({ where: { jwtUuid: { in: [...sessionOf.keys()] } } });
  const use = new Map<string, { useCount: number; lastUsedAt: Date | null }>();
  for (const u of usage) {
    const id = sessionOf.get(u.jwtUuid)!;
    const seen = use.get(id) ?? { useCount: 0, lastUsedAt: null };
    use.set(id, {
      useCount: seen.useCount + u.useCount,
      lastUsedAt: !seen.lastUsedAt || u.lastUsedAt > seen.lastUsedAt ? u.lastUsedAt : seen.lastUsedAt,
    });
  }
  return sessions.map((session) => ({ ...session, ...(use.get(session.sessionId) ?? { useCount: 0, lastUsedAt: null }) }));
}

/**
 * The session a request may see, with its personal data. A session id alone is
 * not a credential: an API client with the scope sessions:read (HTTP Basic or
 * API key) names the session by `session_id`; anyone else shows the session's
 * own TIM TARA JWT (bearer or cookie; checked: signature, expiry, denylist,
 * allowlist when required), and a `session_id` beside it must be that token's.
 * 401 without either, 403 for a client without the scope or another session's id.
 */
export async function sessionFromRequest(req: ApiRequest, sessionId: string | undefined): Promise<TaraSession> {
  if (sessionId !== undefined && !sessionIdSchema.safeParse(sessionId).success) {
    throw new TimError("invalid_request", "session_id must be a UUID.");
  }
  const byClient = presentsClientCredentials(req);
  const token = byClient ? undefined : taraTokenFrom(req);
  if (!token) {
    if (sessionId === undefined) {
      if (byClient) throw new TimError("invalid_request", "Name the session with session_id.");
      throw new TimError("not_authenticated", "Give the TIM TARA JWT as cookie or bearer token (or API client credentials and session_id).");
    }
    await authenticateClient(req, "sessions:read");
    const session = await findTaraSession(sessionId);
    if (!session) throw new TimError("session_not_found", "No TARA session has this id.");
    return session;
  }
  const {
    payload: { sid },
  } = await checkToken(token, { kinds: ["tara"] });
  if (sessionId !== undefined && sessionId.toLowerCase() !== String(sid).toLowerCase()) {
    throw new TimError("not_your_session", "session_id names another session than the one of this token.");
  }
  const session = typeof sid === "string" ? await findTaraSession(sid) : undefined;
  if (!session) throw new InvalidTokenError("Token not found");
  return session;
}

/** The JSON view of a session used by the session and profile endpoints. */
export function sessionJson(session: TaraSession) {
  return {
    session_id: session.sessionId,
    status: session.status,
    subject: session.subject,
    auth_method: session.authMethod,
    level_of_assurance: session.levelOfAssurance,
    issued_at: session.issuedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    // TIM 2.0's names. TIM records no activity per request: last_activity is when the session's current token
    // was issued (its login or latest extension).
    user_id: session.subject,
    provider: "tara",
    authentication_method: session.authMethod,
    last_activity: session.issuedAt.toISOString(),
  };
}

/** TIM 2.0's refusal of a session that has ended: 401 invalid_session, with the session's fields beside it. */
export function endedSession(session: TaraSession): TimError {
  const message = session.status === "expired" ? "Session has expired" : "Session has been revoked";
  return new TimError("invalid_session", message, {
    valid: false,
    ...sessionJson(session),
    ...(session.revokedReason ? { reason: session.revokedReason } : {}),
  });
}
