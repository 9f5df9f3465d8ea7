/** `2025-09-28T21:42:28Z`: TIM 2.0's timestamp format (UTC, whole seconds). */
export function isoSeconds(date: Date | number): string {
  const d = typeof date === "number" ? new Date(date * 1000) : date;
  // toISOString always ends in ".sssZ" (whatever the year's width): cut the milliseconds off.
  return `${d.toISOString().slice(0, -5)}Z`;
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The longest token lifetime TIM issues at all (one year), whatever the client may. */
export const MAX_LIFETIME_MINUTES = 525_600;
