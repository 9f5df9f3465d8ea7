/**
 * A person's subject as TARA gives it (`sub`): the country prefix, then the
 * personal code, e.g. EE38001085718 (eIDAS: CA12345). TIM compares subjects
 * in upper case.
 */
export const PERSONAL_CODE = /^[A-Z]{2}[A-Z0-9._-]{1,48}$/;

/** Why `value` is not a subject TIM can match, in words an operator can act on; undefined when it is one. */
export function personalCodeProblem(value: string): string | undefined {
  const code = value.trim().toUpperCase();
  if (PERSONAL_CODE.test(code)) return undefined;
  if (/^\d+$/.test(code)) return `${value} has no country prefix: write it as TARA gives it, e.g. EE${code}`;
  return `${value} is not a personal code as TARA gives it (country prefix and code, e.g. EE38001085718)`;
}
