"use client";

import { useSyncExternalStore } from "react";

/** How the console shows instants: in the viewer's time zone (the default) or in UTC; kept in this browser. */
export type TimeZoneChoice = "local" | "utc";

const KEY = "tim.time-zone";
const CHANGED = "tim:time-zone";

function subscribe(onChange: () => void): () => void {
  window.addEventListener(CHANGED, onChange);
  window.addEventListener("storage", onChange);
  return () => {
    window.removeEventListener(CHANGED, onChange);
    window.removeEventListener("storage", onChange);
  };
}

const choice = (): TimeZoneChoice => (window.localStorage.getItem(KEY) === "utc" ? "utc" : "local");

/** The choice; while the page hydrates (and on the server, which does not know the viewer's zone) UTC. */
export function useTimeZoneChoice(): TimeZoneChoice | "server" {
  return useSyncExternalStore(subscribe, choice, () => "server" as const);
}

export function chooseTimeZone(next: TimeZoneChoice): void {
  window.localStorage.setItem(KEY, next);
  window.dispatchEvent(new Event(CHANGED));
}

const utcText = (iso: string) =>
  iso
    .replace(/\.\d{3}Z$/, "Z")
    .replace("T", " ")
    .replace(/Z$/, " UTC");

/** `2026-12-07 17:03:54 GMT+2` in the browser's zone: ISO-like order, whatever the browser's locale. */
function localText(date: Date): string {
  const parts = new Intl.DateTimeFormat("en-GB", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")} ${part("timeZoneName")}`;
}

/**
 * An instant, shown as the viewer chose (their time zone by default, or UTC); the other form is on hover,
 * and the machine-readable value is the element's dateTime.
 */
export function LocalTime({ iso }: { iso: string | null | undefined }) {
  const zone = useTimeZoneChoice();
  if (!iso) return <span className="text-slate-500">—</span>;
  const utc = utcText(iso);
  const local = zone === "server" ? undefined : localText(new Date(iso));
  return (
    <time dateTime={iso} title={zone === "local" ? utc : local} data-zone={zone === "local" ? "local" : "utc"} className="whitespace-nowrap tabular-nums">
      {zone === "local" ? local : utc}
    </time>
  );
}

/** The console header's switch between the viewer's time zone and UTC. */
export function TimeZoneSwitch() {
  const zone = useTimeZoneChoice();
  const button = (value: TimeZoneChoice, label: string) => (
    <button
      type="button"
      aria-pressed={zone === value || (zone === "server" && value === "local")}
      onClick={() => chooseTimeZone(value)}
      className="px-2 py-1 aria-pressed:bg-slate-800 aria-pressed:text-white"
    >
      {label}
    </button>
  );
  return (
    <div role="group" aria-label="Show times in" className="flex overflow-hidden rounded border border-slate-300 text-xs" data-testid="time-zone-switch">
      {button("local", "Local time")}
      {button("utc", "UTC")}
    </div>
  );
}
