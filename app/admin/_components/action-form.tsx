"use client";

import { useRouter } from "next/navigation";
import { startTransition, useActionState, useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ConfirmDialog, type Confirmation } from "@/app/admin/_components/confirm-dialog";
import { FieldErrors, fieldOf } from "@/app/admin/_components/field";

export type ActionState = {
  ok: boolean;
  message: string;
  lines?: string[];
  /** Messages of refused input by field name, shown beside those fields. */
  fields?: Record<string, string>;
  secret?: { clientId: string; clientSecret: string; apiKey: string };
} | null;

export type { Confirmation };

/**
 * A console form posting to a server action, showing its outcome below the button (role=status/alert), its
 * refused fields beside them, and a busy label while it runs. With `confirm`, submitting first opens a modal
 * dialog saying what will happen; only its confirm button runs the action. With `refreshOnSuccess`, the page
 * re-renders after a success, so it shows the new state (a revoked token loses its Revoke form).
 */
export function ActionForm({
  action,
  children,
  submitLabel,
  submitClassName,
  pendingLabel = "Working…",
  testId,
  className,
  confirm,
  refreshOnSuccess = false,
}: {
  action: (state: ActionState, form: FormData) => Promise<ActionState>;
  children?: ReactNode;
  submitLabel: string;
  submitClassName: string;
  pendingLabel?: string;
  testId?: string;
  className?: string;
  confirm?: Confirmation;
  refreshOnSuccess?: boolean;
}) {
  const [state, formAction, pending] = useActionState(action, null);
  const router = useRouter();
  const formRef = useRef<HTMLFormElement>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const held = useRef<FormData | null>(null);
  const [problems, setProblems] = useState<string[]>([]);

  // Submitted by hand rather than through <form action>, so React does not
  // reset the fields afterwards: a refused confirmation keeps the typed reason.
  const run = (form: FormData) => startTransition(() => formAction(form));
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (!confirm) return run(form);
    held.current = form;
    dialogRef.current?.showModal();
  };
  const confirmed = () => {
    if (held.current) run(held.current);
    held.current = null;
  };

  useEffect(() => {
    if (state?.ok && refreshOnSuccess) router.refresh();
    // The refused fields, named by their labels as the page shows them, and the first one focused.
    const form = formRef.current;
    const fields = Object.entries(state?.fields ?? {});
    const controls = fields.map(([path]) => form?.elements.namedItem(fieldOf(path)));
    // A group of checkboxes is a RadioNodeList: its first box takes the focus, its legend names it.
    const first = (c: Element | RadioNodeList | null | undefined) => (c instanceof RadioNodeList ? c[0] : c) as HTMLInputElement | null | undefined;
    const marked = controls.map(first).filter((c): c is HTMLInputElement => c instanceof HTMLElement);
    marked.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))[0]?.focus();
    setProblems(
      fields.map(([path, message], i) => {
        const control = first(controls[i]);
        const label =
          controls[i] instanceof RadioNodeList
            ? control?.closest("fieldset")?.querySelector("legend")?.textContent?.trim()
            : control?.labels?.[0]?.textContent?.trim();
        return `${label ?? path}: ${message}`;
      }),
    );
  }, [state, refreshOnSuccess, router]);

  const lines = [...problems, ...(state?.lines ?? [])];
  return (
    <>
      <form ref={formRef} onSubmit={submit} className={className ?? "space-y-3"} data-testid={testId} aria-busy={pending}>
        <FieldErrors fields={state?.ok ? undefined : state?.fields}>{children}</FieldErrors>
        <button type="submit" className={submitClassName} disabled={pending} aria-disabled={pending}>
          {pending ? pendingLabel : submitLabel}
        </button>
        {state ? (
          <div
            role={state.ok ? "status" : "alert"}
            data-testid={testId ? `${testId}-result` : undefined}
            className={`rounded border px-3 py-2 text-sm ${state.ok ? "border-emerald-300 bg-emerald-50 text-emerald-900" : "border-rose-300 bg-rose-50 text-rose-900"}`}
          >
            <p>{state.fields && !state.ok ? "Not done: correct the marked fields." : state.message}</p>
            {lines.length ? (
              <ul className="mt-1 list-disc pl-5 text-xs">
                {lines.map((l) => (
                  <li key={l} className="break-all">
                    {l}
                  </li>
                ))}
              </ul>
            ) : null}
            {state.secret ? (
              <dl className="mt-2 grid gap-1 text-xs" data-testid="client-secret">
                <dt className="font-semibold">Client id</dt>
                <dd className="break-all font-mono">{state.secret.clientId}</dd>
                <dt className="font-semibold">Client secret (shown once; store it now)</dt>
                <dd className="break-all font-mono" data-testid="client-secret-value">
                  {state.secret.clientSecret}
                </dd>
                <dt className="font-semibold">API key (Authorization: Bearer …)</dt>
                <dd className="break-all font-mono">{state.secret.apiKey}</dd>
              </dl>
            ) : null}
          </div>
        ) : null}
      </form>
      {confirm ? (
        <ConfirmDialog
          dialogRef={dialogRef}
          confirm={confirm}
          onConfirm={confirmed}
          confirmClassName={submitClassName}
          testId={testId ? `${testId}-confirm` : "confirm-dialog"}
          onClose={() => (held.current = null)}
        />
      ) : null}
    </>
  );
}
