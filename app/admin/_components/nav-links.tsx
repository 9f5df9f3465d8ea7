"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/admin", label: "Dashboard" },
  { href: "/admin/tokens", label: "Tokens" },
  { href: "/admin/subjects", label: "Subjects" },
  { href: "/admin/revoke", label: "Revoke" },
  { href: "/admin/retention", label: "Retention" },
  { href: "/admin/keys", label: "Keys" },
  { href: "/admin/clients", label: "API clients" },
  { href: "/admin/administrators", label: "Administrators" },
  { href: "/admin/audit", label: "Audit log" },
];

/** The console's sections; the one showing is marked (aria-current), its sub-pages included. */
export function NavLinks() {
  const path = usePathname();
  const current = (href: string) => (href === "/admin" ? path === "/admin" : path === href || path.startsWith(`${href}/`));
  return (
    <nav aria-label="Console" className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
      {LINKS.map((l) => (
        <Link
          key={l.href}
          href={l.href}
          aria-current={current(l.href) ? "page" : undefined}
          className={`hover:text-sky-700 hover:underline focus:underline ${current(l.href) ? "font-semibold text-sky-800 underline underline-offset-4" : "text-slate-700"}`}
        >
          {l.label}
        </Link>
      ))}
    </nav>
  );
}
