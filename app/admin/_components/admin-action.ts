import { headers } from "next/headers";
import { unstable_rethrow } from "next/navigation";
import type { ActionState } from "@/app/admin/_components/action-form";
import { errorMessage } from "@/app/admin/_components/ui";
import { requireAdmin, type Administrator } from "@/lib/admin/session";
import { TimError } from "@/lib/http/errors";
import { requestIdOf } from "@/lib/http/handler";

export type AdminActionInput = { admin: Administrator; form: FormData; requestId: string };

/**
 * A console server action: the administrator is checked again (actions are
 * reachable by POST from anywhere, so none trusts the page), the request id
 * read once for the audit rows, and any failure shown as the form's outcome
 * (invalid input also beside its fields).
 */
export function adminAction(fn: (input: AdminActionInput) => Promise<ActionState>) {
  return async (_state: ActionState, form: FormData): Promise<ActionState> => {
    try {
      const admin = await requireAdmin();
      return await fn({ admin, form, requestId: requestIdOf(await headers()) });
    } catch (err) {
      unstable_rethrow(err); // a redirect() of the action is Next's to follow, not a failure
      return { ok: false, message: errorMessage(err), fields: err instanceof TimError ? err.fields : undefined };
    }
  };
}
