import Link from "next/link";

// Rendered per request so the stand-in banner reflects this process.
export const dynamic = "force-dynamic";

const links = [
  { href: "/admin", title: "Console", text: "Search, export and revoke tokens; keys, API clients and the audit trail." },
  { href: "/me", title: "My sessions", text: "Sign in with TARA to see and end your own sessions." },
  { href: "/docs", title: "API documentation", text: "Interactive reference of every endpoint; the OpenAPI 3.1 document is at /openapi.json." },
  { href: "/jwt/keys/public", title: "Public keys (JWKS)", text: "For resource servers that verify TIM tokens offline." },
  { href: "/api/health", title: "Health", text: "Database, migrations and background-job mode." },
];

export default function HomePage() {
  return (
    <main className="mx-auto max-w-3xl px-6 py-16">
      <h1 className="text-3xl font-semibold tracking-tight">TIM — Token Identity Manager</h1>
      <p className="mt-3 text-slate-600">
        TIM issues signed JWTs and records the metadata of every token atomically with its issuance, so that each
        token can be traced, validated, extended, revoked and audited.
      </p>
      <ul className="mt-10 grid gap-4 sm:grid-cols-2">
        {links.map((l) => (
          <li key={l.href}>
            <Link
              href={l.href}
              className="block h-full rounded-lg border border-slate-200 bg-white p-5 shadow-sm hover:border-sky-400 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
            >
              <span className="font-medium text-sky-700">{l.title}</span>
              <span className="mt-1 block text-sm text-slate-600">{l.text}</span>
            </Link>
          </li>
        ))}
      </ul>
    </main>
  );
}
