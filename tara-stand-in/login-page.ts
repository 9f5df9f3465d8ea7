import type { TaraPersona } from "@/tara-stand-in/personas";

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** TARA's login page marks each method's tab with these `data-tab` values (TARA-Test OidcAuthenticationRequestSpec). */
const METHOD_TABS: Record<TaraPersona["amr"], string> = { idcard: "id-card", mID: "mobile-id", smartid: "smart-id", eidas: "eu-citizen" };

/** The stand-in's login page: one button per persona and a Cancel button (→ error=user_cancel). */
export function renderLoginPage(options: { action: string; clientId: string; personas: readonly TaraPersona[] }): string {
  const rows = options.personas
    .map(
      (p) => `
      <li data-tab="${METHOD_TABS[p.amr]}">
        <button type="submit" name="persona" value="${escapeHtml(p.id)}" data-persona="${escapeHtml(p.id)}">
          <span class="name">${escapeHtml(`${p.givenName} ${p.familyName}`)}</span>
          <span class="meta">${escapeHtml(p.sub)} · ${escapeHtml(p.methodLabel)} · level ${escapeHtml(p.acr)} · born ${escapeHtml(p.dateOfBirth)}</span>
          <span class="meta">${escapeHtml(p.source)}</span>
        </button>
      </li>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TARA stand-in — simulated login</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f8fafc; color: #0f172a; }
  .banner { background: #b91c1c; color: #fff; padding: .75rem 1rem; font-weight: 600; text-align: center; }
  main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  ul { list-style: none; padding: 0; display: grid; gap: .5rem; }
  button { width: 100%; text-align: left; padding: .75rem 1rem; border: 1px solid #cbd5e1; border-radius: .5rem; background: #fff; cursor: pointer; font: inherit; }
  button:hover, button:focus-visible { border-color: #0284c7; outline: none; }
  .name { display: block; font-weight: 600; }
  .meta { display: block; font-size: .875rem; color: #475569; }
  .cancel { margin-top: 1.5rem; text-align: center; background: #f1f5f9; }
</style>
</head>
<body>
<div class="banner" role="alert">TARA stand-in: logins here are SIMULATED — anyone can log in as anyone. Not for production.</div>
<main>
  <h1>Log in to ${escapeHtml(options.clientId)}</h1>
  <p>Choose a test identity.</p>
  <form method="post" action="${escapeHtml(options.action)}">
    <ul>${rows}
    </ul>
    <button type="submit" name="cancel" value="1" class="cancel">Cancel</button>
  </form>
</main>
</body>
</html>`;
}
