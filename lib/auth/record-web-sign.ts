import { personActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { roleFor } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";

/** A person signing in to or out of TIM's pages (console and /me), by TARA session. */
export type WebSignAction = "web.sign_in" | "web.sign_out";

/**
 * Records a sign-in or sign-out in the audit trail, as an administrator or an end user (the role at that
 * moment) and from the browser's address when known. The TARA login itself is its token's issuance; this is
 * the web session on top of it, which the console's own changes are then made in.
 */
export async function recordWebSign(
  action: WebSignAction,
  person: { subject: string; sessionId: string },
  request: { address?: string; requestId: string },
): Promise<void> {
  const admin = (await roleFor(person.subject)) === "admin";
  await (await db()).$transaction((tx) =>
    recordAudit(tx, {
      actor: personActor(person.subject, admin, request.address),
      action,
      target: { session_id: person.sessionId },
      requestId: request.requestId,
    }),
  );
}
