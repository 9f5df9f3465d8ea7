"use client";

import { cloneElement, createContext, isValidElement, useContext, type ReactElement, type ReactNode } from "react";

/** The messages of a refused form, by field name (a TimError's `fields`). */
const FieldErrorsContext = createContext<Record<string, string>>({});

export function FieldErrors({ fields, children }: { fields?: Record<string, string>; children: ReactNode }) {
  return <FieldErrorsContext.Provider value={fields ?? {}}>{children}</FieldErrorsContext.Provider>;
}

/** The form field a message's path belongs to: `allowedAudiences.3` → `allowedAudiences`. */
export const fieldOf = (path: string) => path.split(".")[0];

/** The message for a field: its own, or the first of an item inside it. */
function errorFor(errors: Record<string, string>, name: string): string | undefined {
  return errors[name] ?? Object.entries(errors).find(([path]) => fieldOf(path) === name)?.[1];
}

const sentence = (message: string) => `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;

/** A group of choices (checkboxes named `name`) under a legend, with its error below it, as Field does. */
export function FieldGroup({ legend, name, id, children }: { legend: string; name: string; id: string; children: ReactNode }) {
  const error = errorFor(useContext(FieldErrorsContext), name);
  return (
    <fieldset aria-describedby={error ? `${id}-error` : undefined} data-invalid={error ? "true" : undefined}>
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      {children}
      {error ? (
        <p id={`${id}-error`} className="mt-1 text-sm text-rose-800" data-field-error>
          {sentence(error)}
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * A labelled form control with its hint and, when the form was refused for it, its error right below it:
 * the control (the one child) is marked aria-invalid and described by the error and the hint. The error is
 * found by the control's `name`, so a page only writes the field once.
 */
export function Field({ label, htmlFor, children, hint }: { label: string; htmlFor: string; children: ReactNode; hint?: string }) {
  const errors = useContext(FieldErrorsContext);
  const control = isValidElement(children) ? (children as ReactElement<{ name?: string }>) : undefined;
  const error = control?.props.name ? errorFor(errors, control.props.name) : undefined;
  const hintId = hint ? `${htmlFor}-hint` : undefined;
  const errorId = error ? `${htmlFor}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  return (
    <div>
      <label htmlFor={htmlFor} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {control ? cloneElement(control, { "aria-invalid": error ? true : undefined, "aria-describedby": describedBy } as object) : children}
      {error ? (
        <p id={errorId} className="mt-1 text-sm text-rose-800" data-field-error>
          {sentence(error)}
        </p>
      ) : null}
      {hint ? (
        <p id={hintId} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
