import Link from "next/link";

const LINKS = [
  { href: "/admin", label: "Dashboard" },
  { href: "/admin/tokens", label: "Tokens" },
  { href: "/admin/revoke", label: "Revoke" },
  { href: "/admin/keys", label: "Keys" },
  { href: "/admin/clients", label: "API clients" },
  { href: "/admin/administrators", label: "Administrators" },
  { href: "/admin/audit", label: "Audit log" },
];

export function AdminNav({ name, subject }: { name: string; subject: string }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
        <Link href="/admin" className="font-semibold tracking-tight">
          TIM console
        </Link>
        <nav aria-label="Console" className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
          {LINKS.map((l) => (
            <Link key={l.href} href={l.href} className="text-slate-700 hover:text-sky-700 hover:underline focus:underline">
              {l.label}
            </Link>
          ))}
        </nav>
        <p className="ml-auto text-xs text-slate-500" data-testid="admin-identity">
          {name} ({subject})
        </p>
      </div>
    </header>
  );
}
