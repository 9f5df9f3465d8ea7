import type { Administrator } from "@/lib/admin/session";
import { revocationReasonSchema } from "@/lib/admin/revoke-query";
import { badRequest } from "@/lib/http/errors";
import { describeZodError } from "@/lib/http/zod-messages";
import { parseSubject } from "@/lib/reporting/subject";
import { TOKEN_KINDS, type TokenKind } from "@/lib/tokens/kinds";
import { MAX_SUBJECT_REVOKE, revokeSubjectTokens } from "@/lib/tokens/revoke-bulk";

/** Requests of MAX_SUBJECT_REVOKE tokens the console makes for one subject and kind at most (50,000 tokens). */
const MAX_ROUNDS = 50;

export type LogoutEverywhereResult = { subject: string; revoked: Record<TokenKind, number>; remaining: Record<TokenKind, number> };

/**
 * The console's "log out everywhere" for a subject: every active custom token
 * and TARA session of it, through the API's path (lib/tokens/revoke-bulk.ts:
 * one transaction with its audit event per round of MAX_SUBJECT_REVOKE),
 * recorded as the administrator's (revoked_by `admin:…`).
 */
export async function logoutEverywhere(input: {
  subject: unknown;
  reason: unknown;
  admin: Administrator;
  requestId?: string | null;
}): Promise<LogoutEverywhereResult> {
  const subject = parseSubject(input.subject);
  const reason = revocationReasonSchema.safeParse(input.reason);
  if (!reason.success) throw badRequest(describeZodError(reason.error));
  const result: LogoutEverywhereResult = { subject, revoked: { custom: 0, tara: 0 }, remaining: { custom: 0, tara: 0 } };
  for (const kind of TOKEN_KINDS) {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const r = await revokeSubjectTokens(
        kind,
        subject,
        { reason: reason.data, revokedBy: input.admin.revokedBy },
        { actor: input.admin.actor, requestId: input.requestId },
      );
      result.revoked[kind] += r.revoked;
      result.remaining[kind] = r.remaining;
      if (r.remaining === 0 || r.revoked < MAX_SUBJECT_REVOKE) break;
    }
  }
  return result;
}
