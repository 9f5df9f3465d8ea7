import Link from "next/link";
import { headers } from "next/headers";
import { hasAdministrator } from "@/lib/admins/first-run";
import { config } from "@/lib/config/env";

// Rendered per request so the stand-in banner reflects this process.
export const dynamic = "force-dynamic";

const links = [
  { href: "/admin", title: "Console", text: "Search, export and revoke tokens; keys, API clients and the audit trail." },
  { href: "/me", title: "My sessions", text: "Sign in with TARA to see and end your own sessions." },
  { href: "/docs", title: "API documentation", text: "Interactive reference of every endpoint; the OpenAPI 3.1 document is at /openapi.json." },
  { href: "/jwt/keys/public", title: "Public keys (JWKS)", text: "For resource servers that verify TIM tokens offline." },
  { href: "/api/health", title: "Health", text: "Database, migrations and background-job mode." },
];

export default async function HomePage() {
  const firstRun = !(await hasAdministrator());
  const origin = config().NEXTAUTH_URL ? new URL(config().NEXTAUTH_URL!).origin : `http://${(await headers()).get("host") ?? "localhost:3000"}`;
  return (
    <main id="main" className="mx-auto max-w-3xl px-6 py-16">
      <h1 className="text-3xl font-semibold tracking-tight">TIM — Token Identity Manager</h1>
      <p className="mt-3 text-slate-600">
        TIM issues signed JWTs and records the metadata of every token atomically with its issuance, so that each token can be traced, validated, extended,
        revoked and audited.
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
      <section className="mt-12" aria-labelledby="getting-started">
        <h2 id="getting-started" className="text-xl font-semibold tracking-tight">
          Getting started
        </h2>
        <ol className="mt-4 list-decimal space-y-3 pl-6 text-slate-700">
          <li data-testid="step-sign-in">
            {firstRun ? (
              <>
                TIM has no administrator yet: open the one-time <strong>setup link</strong> from TIM&apos;s start-up log (<code>…/setup?code=…</code>) and sign
                in; you become the first administrator. Or run <code>npm run tim -- admin add EE38001085718</code>.
              </>
            ) : (
              <>
                <Link className="text-sky-700 underline" href="/admin">
                  Sign in to the console
                </Link>{" "}
                with TARA (administrators), or see{" "}
                <Link className="text-sky-700 underline" href="/me">
                  your own sessions
                </Link>
                .
              </>
            )}
          </li>
          <li>
            Create an API client in the console under{" "}
            <Link className="text-sky-700 underline" href="/admin/clients">
              API clients
            </Link>{" "}
            (or <code>npm run tim -- client create --name my-app --scopes tokens:issue,tokens:validate</code>); its secret is shown once.
          </li>
          <li>
            Issue your first token:
            <pre className="mt-2 whitespace-pre-wrap break-all rounded bg-slate-900 p-3 text-xs text-slate-100" data-testid="first-curl">
              {`curl -u CLIENT_ID:CLIENT_SECRET -H 'content-type: application/json' \\
  -d '{"JWTName":"FIRST","content":{"sub":"user-1"},"expirationInMinutes":60}' \\
  ${origin}/jwt/custom/generate`}
            </pre>
            Then validate it at <code>/jwt/custom/validate</code>, or let resource servers verify it with the public keys; every endpoint is in the{" "}
            <Link className="text-sky-700 underline" href="/docs">
              interactive API reference
            </Link>
            .
          </li>
        </ol>
      </section>
    </main>
  );
}
