import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";
import { errorResponse } from "@/lib/http/handler";

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export const STAND_IN_NOTICE = "TARA stand-in in use: logins are SIMULATED and anyone can log in as anyone. Not for production.";

/** A small self-contained HTML page for the browser side of the TARA flow (no framework involved). */
export function htmlPage(status: number, title: string, message: string): Response {
  const banner = config().TIM_TARA_STAND_IN
    ? `<div role="alert" style="background:#b91c1c;color:#fff;padding:.75rem 1rem;font-weight:600;text-align:center">${escapeHtml(STAND_IN_NOTICE)}</div>`
    : "";
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · TIM</title></head>
<body style="margin:0;font-family:system-ui,sans-serif;background:#f8fafc;color:#0f172a">${banner}
<main style="max-width:36rem;margin:3rem auto;padding:0 1rem">
<h1 style="font-size:1.5rem">${escapeHtml(title)}</h1>
<p data-testid="message">${escapeHtml(message)}</p>
<p><a href="/signin" style="color:#0369a1">Sign in again</a> · <a href="/" style="color:#0369a1">Home</a></p>
</main></body></html>`;
  return new Response(body, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

const TITLES: Record<string, string> = {
  user_cancel: "Login cancelled",
  invalid_state: "Login expired",
  tara_timeout: "TARA did not answer",
  tara_unavailable: "TARA is not reachable",
};

/** A failed login as a page: TimError's status and message; anything else generic (503 for the database). */
export function errorPage(err: unknown): Response {
  if (err instanceof TimError) return htmlPage(err.status, TITLES[err.code] ?? "Login failed", err.message);
  // errorResponse logs the failure (class and code only) and tells database outages (503) from the rest.
  const status = errorResponse(err).status;
  return status === 503
    ? htmlPage(503, "Service unavailable", "The database is not reachable. Please try again shortly.")
    : htmlPage(status, "Login failed", "An internal error occurred. Please try again.");
}
