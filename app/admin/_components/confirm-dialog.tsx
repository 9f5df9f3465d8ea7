"use client";

import { useId, useRef, type ReactNode, type RefObject } from "react";

/** What an irreversible action asks before it runs: what will happen, in words, and the button that does it. */
export type Confirmation = { title: string; body: ReactNode; confirmLabel: string };

/**
 * The modal dialog that asks; `dialogRef.current.showModal()` opens it. Cancel has the focus, so Enter on an
 * opened dialog does not do the irreversible thing; Escape closes it.
 */
export function ConfirmDialog({
  dialogRef,
  confirm,
  onConfirm,
  confirmClassName,
  testId,
  onClose,
}: {
  dialogRef: RefObject<HTMLDialogElement | null>;
  confirm: Confirmation;
  onConfirm: () => void;
  confirmClassName: string;
  testId: string;
  onClose?: () => void;
}) {
  const id = useId();
  return (
    <dialog
      ref={dialogRef}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      data-testid={testId}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-lg border border-slate-300 p-0 text-left shadow-xl backdrop:bg-slate-900/40"
      onClose={onClose}
    >
      <div className="p-5">
        <h2 id={`${id}-title`} className="text-lg font-semibold">
          {confirm.title}
        </h2>
        <div id={`${id}-body`} className="mt-2 break-words text-sm text-slate-700">
          {confirm.body}
        </div>
        <div className="mt-5 flex flex-wrap justify-end gap-3">
          <button
            type="button"
            // biome-ignore lint/a11y/noAutofocus: an opened dialog focuses its harmless choice (WAI-ARIA dialog pattern)
            autoFocus
            onClick={() => dialogRef.current?.close()}
            className="inline-flex items-center rounded border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-300"
          >
            Cancel
          </button>
          <button
            type="button"
            onClick={() => {
              dialogRef.current?.close();
              onConfirm();
            }}
            className={confirmClassName}
          >
            {confirm.confirmLabel}
          </button>
        </div>
      </div>
    </dialog>
  );
}

/** A submit button of a plain server-action form that asks first; only the dialog's button submits the form. */
export function ConfirmSubmit({
  label,
  className,
  confirm,
  confirmClassName,
  testId,
}: {
  label: string;
  className: string;
  confirm: Confirmation;
  confirmClassName: string;
  testId: string;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button ref={button} type="button" className={className} onClick={() => dialogRef.current?.showModal()}>
        {label}
      </button>
      <ConfirmDialog
        dialogRef={dialogRef}
        confirm={confirm}
        confirmClassName={confirmClassName}
        testId={testId}
        onConfirm={() => button.current?.form?.requestSubmit()}
      />
    </>
  );
}
