"use client";

import { signIn } from "next-auth/react";
import { useEffect, useState } from "react";

export function CompleteSignIn({ callbackUrl }: { callbackUrl: string }) {
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    signIn("tara", { redirect: false, callbackUrl }).then(
      (result) => (result?.ok && !result.error ? window.location.replace(callbackUrl) : setFailed(true)),
      () => setFailed(true),
    );
  }, [callbackUrl]);
  if (failed) {
    return (
      <p role="alert" className="text-slate-700">
        The sign-in could not be completed.{" "}
        <a className="text-sky-700 underline" href={`/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`}>
          Try again
        </a>
      </p>
    );
  }
  return <p className="text-slate-600">Signing you in…</p>;
}
