"use client";

/** Unexpected failures of a console page: a message and a retry, never a stack trace. */
export default function AdminError({ reset }: { error: Error; reset: () => void }) {
  return (
    <div role="alert" className="my-8 rounded border border-rose-300 bg-rose-50 px-4 py-3 text-rose-900">
      <p className="font-medium">This page could not be loaded.</p>
      <p className="mt-1 text-sm">The database may be busy or unreachable. The details are in the server log.</p>
      <button type="button" onClick={reset} className="mt-3 rounded bg-rose-700 px-3 py-1.5 text-sm text-white">
        Try again
      </button>
    </div>
  );
}
