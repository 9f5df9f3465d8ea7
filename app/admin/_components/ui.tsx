import type { ReactNode } from "react";
import { LocalTime } from "@/app/admin/_components/local-time";
import { TimError } from "@/lib/http/errors";

export { LocalTime };
export { Field } from "@/app/admin/_components/field";

/** Dates from the database or the API as ISO strings for LocalTime. */
export function When({ at }: { at: Date | string | null | undefined }) {
  return <LocalTime iso={at ? (typeof at === "string" ? at : at.toISOString()) : null} />;
}

export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="mb-6">
      <h1 className="break-words text-2xl font-semibold tracking-tight">{title}</h1>
      {children ? <p className="mt-1 text-slate-600">{children}</p> : null}
    </header>
  );
}

const STATUS_STYLES: Record<string, string> = {
  active: "bg-emerald-100 text-emerald-800",
  expired: "bg-slate-200 text-slate-700",
  revoked: "bg-rose-100 text-rose-800",
  superseded: "bg-amber-100 text-amber-900",
  next: "bg-sky-100 text-sky-800",
  retired: "bg-slate-200 text-slate-700",
  disabled: "bg-rose-100 text-rose-800",
};

export function Badge({ value }: { value: string }) {
  return <span className={`inline-block rounded px-2 py-0.5 text-xs font-medium ${STATUS_STYLES[value] ?? "bg-slate-100 text-slate-700"}`}>{value}</span>;
}

/** The cells every background-job table shares: started, by whom, status, progress (and the error, if any). */
export function JobRunCells({
  job,
}: {
  job: { startedAt: Date; requestedBy: string | null; status: string; progressDone: number; progressTotal: number | null; error: string | null };
}) {
  return (
    <>
      <td className="py-1">
        <When at={job.startedAt} />
      </td>
      <td className="break-all">{job.requestedBy ?? "—"}</td>
      <td>
        <Badge value={job.status} />
      </td>
      <td className="text-right tabular-nums">
        {job.progressDone.toLocaleString("en")} / {job.progressTotal === null ? "?" : job.progressTotal.toLocaleString("en")}
        {job.error ? <span className="block text-xs text-rose-700">{job.error}</span> : null}
      </td>
    </>
  );
}

export function Notice({ kind, children, testId }: { kind: "error" | "success" | "info"; children: ReactNode; testId?: string }) {
  const styles = {
    error: "border-rose-300 bg-rose-50 text-rose-900",
    success: "border-emerald-300 bg-emerald-50 text-emerald-900",
    info: "border-sky-300 bg-sky-50 text-sky-900",
  }[kind];
  return (
    <div role={kind === "error" ? "alert" : "status"} data-testid={testId} className={`my-4 rounded border px-4 py-3 text-sm break-words ${styles}`}>
      {children}
    </div>
  );
}

/** A table wider than a phone scrolls inside this box, not the page; focusable and named so the keyboard can scroll it too.
 * Relative: an absolutely placed descendant (sr-only text) would otherwise escape the clip and widen the page. */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div
      role="region"
      aria-label={label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to be scrolled by keyboard (axe: scrollable-region-focusable)
      tabIndex={0}
      data-scroll-region
      className="relative overflow-x-auto focus:outline-none focus:ring-2 focus:ring-sky-300"
    >
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="rounded border border-dashed border-slate-300 bg-white px-4 py-8 text-center text-slate-500">{children}</p>;
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  return (
    <section className="mb-8 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6" aria-labelledby={id}>
      <h2 id={id} className="mb-4 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

export const inputClass =
  "mt-1 block w-full rounded border border-slate-300 bg-white px-2 py-1.5 text-sm focus:border-sky-600 focus:outline-none focus:ring-2 focus:ring-sky-200 aria-invalid:border-rose-600 aria-invalid:ring-1 aria-invalid:ring-rose-600";
export const buttonClass =
  "inline-flex items-center rounded bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-300 disabled:opacity-50";
export const dangerButtonClass =
  "inline-flex items-center rounded bg-rose-700 px-3 py-2 text-sm font-medium text-white hover:bg-rose-800 focus:outline-none focus:ring-2 focus:ring-rose-300 disabled:opacity-50";
export const secondaryButtonClass =
  "inline-flex items-center rounded border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-200";

/** A TimError's message for the page; anything else is a generic failure (details stay in the log). */
export function errorMessage(err: unknown): string {
  if (err instanceof TimError) return err.message;
  return "Something went wrong; try again. The details are in the server log.";
}

export const formatBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);
