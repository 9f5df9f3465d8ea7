import { isIP } from "node:net";
import { z } from "zod";
import { invalidInput } from "@/lib/http/zod-messages";
import type { TokenKind } from "@/lib/tokens/kinds";
import { storableString } from "@/lib/db/storable";
import { TOKEN_STATUSES } from "@/lib/tokens/status";

export { TOKEN_STATUSES };

/**
 * The token search filters, as they appear in the URL of /admin/tokens and
 * GET /api/reports/tokens (`?subject=…&type=custom&status=active&issued_from=2025-01-01`).
 * Dates: `YYYY-MM-DD` (a `_to` date includes that whole day), `YYYY-MM-DDTHH:mm[:ss]`
 * (UTC) or ISO 8601 with an offset.
 */
const empty = (v: unknown) => (v === "" || v === null ? undefined : v);
const text = (max = 500) => z.preprocess(empty, storableString.trim().min(1).max(max).optional());

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/;
const ZONED_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;
const WITH_OFFSET = /[+-]\d{2}:?\d{2}$/;

function parseInstant(value: string, end: boolean): Date | undefined {
  let d: Date;
  if (DATE_ONLY.test(value)) d = new Date(`${value}T00:00:00Z`);
  else if (LOCAL_DATETIME.test(value)) d = new Date(`${value}Z`);
  else if (ZONED_DATETIME.test(value)) d = new Date(value);
  else return undefined;
  if (Number.isNaN(d.getTime())) return undefined;
  // Date rolls 2025-02-30 over into March: a UTC value's calendar date must survive the round trip.
  if (!WITH_OFFSET.test(value) && d.toISOString().slice(0, 10) !== value.slice(0, 10)) return undefined;
  return DATE_ONLY.test(value) && end ? new Date(d.getTime() + 86_400_000 - 1) : d;
}

const instant = (end: boolean) =>
  z.preprocess(
    empty,
    z
      .string()
      .trim()
      .max(40)
      .transform((v, ctx) => {
        const d = parseInstant(v, end);
        if (!d) {
          ctx.addIssue({ code: "custom", message: `"${v}" is not a date (use YYYY-MM-DD or ISO 8601)` });
          return z.NEVER;
        }
        return d;
      })
      .optional(),
  );

const keyList = z.preprocess(
  empty,
  z
    .string()
    .max(1000)
    .transform((v) => [
      ...new Set(
        v
          .split(",")
          .map((k) => k.trim())
          .filter(Boolean),
      ),
    ])
    .pipe(z.array(storableString.max(200)).max(20))
    .optional(),
);

export const SORT_FIELDS = ["issued_at", "expires_at"] as const;

/**
 * How `subject` and `jwt_name` match (`subject_match`, `name_match`): `exact` (the default), `prefix`
 * (starts with the text, case-sensitive: a btree with text_pattern_ops serves it), `contains` (holds
 * the text anywhere, case-insensitive, at least CONTAINS_MIN_CHARS characters: pg_trgm's trigram
 * index serves it). `%`, `_` and `\` in the text are matched literally.
 */
export const TEXT_MATCHES = ["exact", "prefix", "contains"] as const;
export type TextMatch = (typeof TEXT_MATCHES)[number];
/** A trigram index needs three characters to narrow a search; fewer would read the whole index. */
export const CONTAINS_MIN_CHARS = 3;
// absent: exact
const textMatch = z.preprocess(empty, z.enum(TEXT_MATCHES).optional());

/** An IPv4 or IPv6 address, or a CIDR range of them (`10.0.0.0/8`, `2001:db8::/32`), normalised. */
const addressFilter = z.preprocess(
  empty,
  z
    .string()
    .trim()
    .max(60)
    .transform((v, ctx) => {
      const range = parseAddressRange(v);
      if (!range) {
        ctx.addIssue({ code: "custom", message: `"${v}" is not an IP address or CIDR range (e.g. 192.0.2.10, 10.0.0.0/8, 2001:db8::/32)` });
        return z.NEVER;
      }
      return range;
    })
    .optional(),
);

/**
 * `addr` or `addr/bits` with bits within the family's width; undefined when it is neither. An IPv4-mapped
 * IPv6 form (`::ffff:192.0.2.10`, `::ffff:10.0.0.0/104`) is its IPv4 address or range, as TIM stores addresses.
 */
export function parseAddressRange(value: string): string | undefined {
  const [address, bits, ...rest] = value.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length) return undefined;
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128))) return undefined;
  const mapped = /^::ffff:/i.test(address) && isIP(address.slice(7)) === 4;
  if (mapped && (bits === undefined || Number(bits) >= 96)) {
    return bits === undefined ? address.slice(7) : `${address.slice(7)}/${Number(bits) - 96}`;
  }
  return bits === undefined ? address.toLowerCase() : `${address.toLowerCase()}/${Number(bits)}`;
}

export const tokenFilterSchema = z
  .object({
    /** custom, tara, or both when absent. */
    type: z.preprocess(empty, z.enum(["custom", "tara"]).optional()),
    subject: text(),
    subject_match: textMatch,
    jwt_name: text(),
    name_match: textMatch,
    status: z.preprocess(empty, z.enum(TOKEN_STATUSES).optional()),
    /** The denylist reason contains this text (case-insensitive); only revoked or superseded tokens have one. */
    reason: text(),
    /** Where the token came from: its client address is this address or within this CIDR range. */
    address: addressFilter,
    issued_from: instant(false),
    issued_to: instant(true),
    expires_from: instant(false),
    expires_to: instant(true),
    /** Every listed claim key must be among the token's claim keys. */
    claim_keys: keyList,
    issuer: text(),
    /** One of the token's audiences. */
    audience: text(),
    client_id: text(200),
    /** TARA only: authentication method (amr), e.g. mID, smartid, idcard. */
    auth_method: text(100),
    /** TARA only: level of assurance (acr): low, substantial, high. */
    loa: text(50),
  })
  .superRefine((f, ctx) => {
    if (f.issued_from && f.issued_to && f.issued_from > f.issued_to) {
      ctx.addIssue({ code: "custom", path: ["issued_to"], message: "is before issued_from" });
    }
    if (f.expires_from && f.expires_to && f.expires_from > f.expires_to) {
      ctx.addIssue({ code: "custom", path: ["expires_to"], message: "is before expires_from" });
    }
    for (const [field, match] of [
      ["subject", f.subject_match],
      ["jwt_name", f.name_match],
    ] as const) {
      const value = f[field];
      if (match === "contains" && value !== undefined && Array.from(value).length < CONTAINS_MIN_CHARS) {
        ctx.addIssue({ code: "custom", path: [field], message: `a "contains" search needs at least ${CONTAINS_MIN_CHARS} characters` });
      }
    }
    if (f.type === "custom" && (f.auth_method || f.loa)) {
      ctx.addIssue({ code: "custom", path: ["type"], message: "auth_method and loa apply to TARA tokens only" });
    }
  });
export type TokenFilters = z.infer<typeof tokenFilterSchema>;

export const pageSchema = z.object({
  sort: z.preprocess(empty, z.enum(SORT_FIELDS).default("issued_at")),
  order: z.preprocess(empty, z.enum(["desc", "asc"]).default("desc")),
  limit: z.preprocess(empty, z.coerce.number().int().min(1).max(500).default(50)),
  cursor: z.preprocess(empty, storableString.max(500).optional()),
});
export type PageRequest = z.infer<typeof pageSchema>;

/** The token kinds a filter can match. */
export function kindsFor(filters: TokenFilters): TokenKind[] {
  if (filters.type) return [filters.type];
  if (filters.auth_method || filters.loa) return ["tara"];
  return ["custom", "tara"];
}

function firstValues(params: URLSearchParams | Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  if (params instanceof URLSearchParams) {
    for (const [k, v] of params) if (!(k in out)) out[k] = v;
  } else {
    for (const [k, v] of Object.entries(params)) if (v !== undefined) out[k] = Array.isArray(v) ? v[0] : v;
  }
  return out;
}

/** Filters and page from query parameters; bad values are a 400 with a readable message. */
export function parseTokenQuery(params: URLSearchParams | Record<string, string | string[] | undefined>): {
  filters: TokenFilters;
  page: PageRequest;
} {
  const raw = firstValues(params);
  const filters = tokenFilterSchema.safeParse(raw);
  if (!filters.success) throw invalidInput(filters.error);
  const page = pageSchema.safeParse(raw);
  if (!page.success) throw invalidInput(page.error);
  return { filters: filters.data, page: page.data };
}

/** The filters as URL query parameters (dates in ISO 8601), e.g. for links, exports and the audit trail. */
export function filtersToParams(filters: TokenFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(filters)) {
    if (v === undefined) continue;
    out[k] = v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(",") : String(v);
  }
  return out;
}
