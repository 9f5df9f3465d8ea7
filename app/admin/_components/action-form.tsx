"use client";

import { startTransition, useActionState, type FormEvent, type ReactNode } from "react";

export type ActionState = { ok: boolean; message: string; lines?: string[]; secret?: { clientId: string; clientSecret: string; apiKey: string } } | null;

/**
 * A console form posting to a server action, showing its outcome below the
 * button (role=status/alert) and a busy label while it runs.
 */
export function ActionForm({
  action,
  children,
  submitLabel,
  submitClassName,
  pendingLabel = "Working…",
  testId,
  className,
}: {
  action: (state: ActionState, form: FormData) => Promise<ActionState>;
  children?: ReactNode;
  submitLabel: string;
  submitClassName: string;
  pendingLabel?: string;
  testId?: string;
  className?: string;
}) {
  const [state, formAction, pending] = useActionState(action, null);
  // Submitted by hand rather than through <form action>, so React does not
  // reset the fields afterwards: a refused confirmation keeps the typed reason.
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    startTransition(() => formAction(form));
  };
  return (
    <form onSubmit={submit} className={className ?? "space-y-3"} data-testid={testId} aria-busy={pending}>
      {children}
      <button type="submit" className={submitClassName} disabled={pending} aria-disabled={pending}>
        {pending ? pendingLabel : submitLabel}
      </button>
      {state ? (
        <div
          role={state.ok ? "status" : "alert"}
          data-testid={testId ? `${testId}-result` : undefined}
          className={`rounded border px-3 py-2 text-sm ${state.ok ? "border-emerald-300 bg-emerald-50 text-emerald-900" : "border-rose-300 bg-rose-50 text-rose-900"}`}
        >
          <p>{state.message}</p>
          {state.lines?.length ? (
            <ul className="mt-1 list-disc pl-5 text-xs">
              {state.lines.map((l) => (
                <li key={l} className="break-all">{l}</li>
              ))}
            </ul>
          ) : null}
          {state.secret ? (
            <dl className="mt-2 grid gap-1 text-xs" data-testid="client-secret">
              <dt className="font-semibold">Client id</dt>
              <dd className="break-all font-mono">{state.secret.clientId}</dd>
              <dt className="font-semibold">Client secret (shown once; store it now)</dt>
              <dd className="break-all font-mono" data-testid="client-secret-value">{state.secret.clientSecret}</dd>
              <dt className="font-semibold">API key (Authorization: Bearer …)</dt>
              <dd className="break-all font-mono">{state.secret.apiKey}</dd>
            </dl>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}
