import { z } from "zod";

/**
 * What PostgreSQL can store, checked before a value joins a statement (and a
 * group commit shared with other callers). `text` cannot hold NUL; `jsonb`
 * refuses the `\u0000` escape and unpaired UTF-16 surrogates (`\ud800`), which
 * `text` would silently turn into U+FFFD; JSON numbers beyond double range
 * parse as Infinity, which JSON.stringify writes as null; deep nesting
 * overflows the JSON serialiser's and PostgreSQL's stacks.
 */

/** Why this string cannot be stored as it is, or undefined when it can. */
export function unstorableReason(value: string): string | undefined {
  if (value.includes("\u0000")) return "holds a NUL character (\\u0000), which TIM cannot store";
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    return "holds an unpaired UTF-16 surrogate (such as \\ud800), which TIM cannot store";
  }
  return undefined;
}

/** A string that PostgreSQL text and jsonb can hold as given. Chain limits after it: `storableString.min(1).max(500)`. */
export const storableString = z.string().superRefine((value, ctx) => {
  const reason = unstorableReason(value);
  if (reason) ctx.addIssue({ code: "custom", message: reason });
});

/** Nesting of objects and arrays a JSON value may have (the value itself is level 1). */
export const MAX_JSON_DEPTH = 32;

export type UnstorableJson = { path: (string | number)[]; message: string };

/**
 * The first part of a parsed JSON value that cannot be stored in jsonb (or
 * signed faithfully): an unstorable string or key, a non-finite number, or
 * nesting beyond `maxDepth`. One pass, no recursion (so depth itself cannot
 * overflow the stack).
 */
export function findUnstorableJson(value: unknown, maxDepth = MAX_JSON_DEPTH): UnstorableJson | undefined {
  // Paths are built only for the finding (this runs on every issuance and validation).
  type Node = { value: unknown; key: string | number | undefined; parent: Node | undefined; depth: number };
  const pathOf = (node: Node, last?: string): (string | number)[] => {
    const path: (string | number)[] = last === undefined ? [] : [last];
    for (let n: Node | undefined = node; n && n.key !== undefined; n = n.parent) path.unshift(n.key);
    return path;
  };
  const stack: Node[] = [{ value, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === "string") {
      const reason = unstorableReason(v);
      if (reason) return { path: pathOf(node), message: reason };
    } else if (typeof v === "number") {
      if (!Number.isFinite(v)) return { path: pathOf(node), message: "is a number outside the range TIM can store (finite doubles only)" };
    } else if (v !== null && typeof v === "object") {
      if (node.depth >= maxDepth) return { path: pathOf(node), message: `nests deeper than ${maxDepth} levels` };
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) stack.push({ value: v[i], key: i, parent: node, depth: node.depth + 1 });
      } else {
        for (const key in v) {
          if (!Object.hasOwn(v, key)) continue;
          const reason = unstorableReason(key);
          if (reason) return { path: pathOf(node, key), message: `is a name that ${reason}` };
          stack.push({ value: (v as Record<string, unknown>)[key], key, parent: node, depth: node.depth + 1 });
        }
      }
    }
  }
  return undefined;
}

/** A JSON value jsonb can hold (see findUnstorableJson); issues name the offending path. */
export const storableJson = z.json().superRefine((value, ctx) => {
  const found = findUnstorableJson(value);
  if (found) ctx.addIssue({ code: "custom", path: found.path, message: found.message });
});

/** A date timestamptz can hold: JavaScript's reach beyond 4713 BC, PostgreSQL's does not (its upper bound is beyond JavaScript's). */
export const storableDate = z.coerce.date().min(new Date("-004713-11-24T00:00:00Z"), "is before 4713 BC, the earliest date TIM can store");

/** UTF-8 size of a string, the unit PostgreSQL's index limits are counted in. */
export const utf8Bytes = (value: string) => Buffer.byteLength(value, "utf8");
