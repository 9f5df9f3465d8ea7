import Link from "next/link";
import { TimeZoneSwitch } from "@/app/admin/_components/local-time";
import { NavLinks } from "@/app/admin/_components/nav-links";
import { SignOutButton } from "@/app/me/sign-out-button";

export function AdminNav({ name, subject }: { name: string; subject: string }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
        <Link href="/admin" className="font-semibold tracking-tight">
          TIM console
        </Link>
        <NavLinks />
        <div className="ml-auto flex flex-wrap items-center gap-3">
          <TimeZoneSwitch />
          <p className="text-xs text-slate-500" data-testid="admin-identity">
            {name} ({subject})
          </p>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
