"use client";

import { useEffect, useState } from "react";

/** A UTC instant shown as ISO 8601 (UTC); the browser's local time appears on hover. */
export function LocalTime({ iso }: { iso: string | null | undefined }) {
  const [local, setLocal] = useState<string>();
  useEffect(() => {
    if (iso) setLocal(new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" }));
  }, [iso]);
  if (!iso) return <span className="text-slate-500">—</span>;
  const shown = iso.replace(/\.\d{3}Z$/, "Z");
  return (
    <time dateTime={iso} title={local ? `Local time: ${local}` : "UTC"} className="whitespace-nowrap tabular-nums">
      {shown}
    </time>
  );
}
