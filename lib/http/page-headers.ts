import { randomBytes } from "node:crypto";

/** A fresh CSP nonce: 128 random bits, base64 (the characters Next accepts in `'nonce-…'`). */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/**
 * The Content-Security-Policy of a page. Scripts run only with this response's
 * nonce (Next puts it on its own scripts, inline and bundled, when it reads it
 * from the request's CSP header); 'strict-dynamic' lets those load the chunks
 * they import. Styles are TIM's built stylesheet ('self') and the tags Next
 * marks with the nonce, so no 'unsafe-inline' at all. Dev mode only: React's
 * dev build needs 'unsafe-eval' for its error stacks, and the dev server
 * injects CSS as <style> tags without the nonce (hot reload), hence
 * 'unsafe-inline' for styles (which a nonce beside it would switch off).
 * No form-action: the sign-in form posts to next-auth, which redirects to TARA
 * (another origin), and Chromium applies form-action to that redirect.
 */
export function pageCsp(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    dev ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
  ].join("; ");
}

/**
 * Security headers of every response Next serves (pages, next-auth, assets),
 * with a fresh nonce each time. Referrer-Policy is not no-referrer: that would
 * send `Origin: null` on TIM's own form posts, which the server-action origin
 * check refuses.
 */
export function pageSecurityHeaders(nonce: string, dev: boolean): Record<string, string> {
  return {
    "content-security-policy": pageCsp(nonce, dev),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
  };
}
