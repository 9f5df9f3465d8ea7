import { z } from "zod";
import { badRequest, type TimError } from "@/lib/http/errors";

/**
 * Validation messages in words, for API answers and console forms alike
 * ("limit: must be at most 500", not "Too big: expected number to be <=500").
 * Installed once per copy of zod (Next bundles lib/ apart from TIM's server);
 * a schema's own message still wins.
 */

const KIND: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  bigint: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  date: "a date",
};

const FORMAT: Record<string, string> = {
  uuid: "a UUID",
  guid: "a UUID",
  email: "an e-mail address",
  url: "a URL",
  datetime: "an ISO 8601 date and time",
  date: "a date (YYYY-MM-DD)",
  regex: "in the expected form",
};

const show = (v: unknown) => (typeof v === "string" ? `"${v}"` : String(v));

function bound(issue: { origin?: string; maximum?: unknown; minimum?: unknown; inclusive?: boolean }, most: boolean): string {
  const n = Number(most ? issue.maximum : issue.minimum);
  const edge = most ? (issue.inclusive === false ? "less than" : "at most") : issue.inclusive === false ? "more than" : "at least";
  if (issue.origin === "string") return `must be ${edge} ${n} character${n === 1 ? "" : "s"} long`;
  if (issue.origin === "array" || issue.origin === "set") return `must have ${edge} ${n} item${n === 1 ? "" : "s"}`;
  if (issue.origin === "int" && Math.abs(n) >= Number.MAX_SAFE_INTEGER) return "is too large a number";
  return `must be ${edge} ${n.toLocaleString("en")}`;
}

/** The message of one issue, or undefined for zod's own. */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      return `must be ${KIND[issue.expected] ?? issue.expected}`;
    case "too_big":
      return bound(issue, true);
    case "too_small":
      return bound(issue, false);
    case "invalid_format":
      return `must be ${FORMAT[issue.format] ?? `in ${issue.format} format`}`;
    case "invalid_value":
      return issue.values.length === 1 ? `must be ${show(issue.values[0])}` : `must be one of ${issue.values.map(show).join(", ")}`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map(show).join(", ")}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    default:
      return undefined;
  }
}

z.config({ customError: issueMessage });

/**
 * One message per field of a ZodError (the first; a number past the safe-integer range also breaks the
 * field's own bound, which is the one worth saying), keyed by its dotted path ("" for the whole input).
 */
export function fieldMessages(error: z.ZodError): Record<string, string> {
  const byPath = new Map<string, string>();
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    const safeInt = issue.code === "too_big" && Number(issue.maximum) >= Number.MAX_SAFE_INTEGER;
    if (!byPath.has(path) || (byPath.get(path) === "is too large a number" && !safeInt)) byPath.set(path, issue.message);
  }
  return Object.fromEntries(byPath);
}

/** A ZodError as one line, at most five fields. */
export function describeZodError(error: z.ZodError): string {
  return Object.entries(fieldMessages(error))
    .slice(0, 5)
    .map(([path, message]) => (path ? `${path}: ${message}` : message))
    .join("; ");
}

/** Invalid input as TIM's 400: the message names every field, and `fields` lets a form mark each one. */
export function invalidInput(error: z.ZodError): TimError {
  const err = badRequest(describeZodError(error));
  err.fields = fieldMessages(error);
  return err;
}
