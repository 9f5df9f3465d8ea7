import { signOutAction } from "@/app/me/actions";

/** Signs this browser out (ends its TARA session), from any page. */
export function SignOutButton({ className }: { className?: string }) {
  return (
    <form action={signOutAction}>
      <button
        type="submit"
        data-testid="sign-out"
        className={className ?? "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-100"}
      >
        Sign out
      </button>
    </form>
  );
}
