/** The token search filters (lib/reporting/filters.ts) on their own: dates, lists, kinds, paging and round trips. */
import { describe, expect, test } from "vitest";
import { filtersToParams, kindsFor, parseTokenQuery } from "@/lib/reporting/filters";

const parse = (query: string) => parseTokenQuery(new URLSearchParams(query));
const refused = (query: string) => {
  try {
    parse(query);
  } catch (err) {
    return err as { status: number; message: string };
  }
  throw new Error(`${query} was accepted`);
};

describe("dates", () => {
  test("a date alone covers its whole UTC day at the end of a range, its start at the beginning", () => {
    const { filters } = parse("issued_from=2025-01-01&issued_to=2025-01-31");
    expect(filters.issued_from?.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(filters.issued_to?.toISOString()).toBe("2025-01-31T23:59:59.999Z");
  });

  test("a local date-time is UTC; one with an offset is converted", () => {
    expect(parse("expires_from=2025-06-01T10:30").filters.expires_from?.toISOString()).toBe("2025-06-01T10:30:00.000Z");
    expect(parse("expires_from=2025-06-01T10:30:00%2B03:00").filters.expires_from?.toISOString()).toBe("2025-06-01T07:30:00.000Z");
    expect(parse("expires_to=2025-06-01T10:30:15.5Z").filters.expires_to?.toISOString()).toBe("2025-06-01T10:30:15.500Z");
  });

  test.each(["2025-02-30", "2025-13-01", "yesterday", "2025-1-1", "1735689600"])("%s is not a date: 400 naming the field", (value) => {
    const err = refused(`issued_from=${value}`);
    expect(err.status).toBe(400);
    expect(err.message).toContain("issued_from");
    expect(err.message).toContain("is not a date");
  });

  test("a range that ends before it starts is refused on its end", () => {
    expect(refused("issued_from=2025-02-01&issued_to=2025-01-01").message).toContain("issued_to: is before issued_from");
    expect(refused("expires_from=2025-02-01&expires_to=2025-01-01").message).toContain("expires_to: is before expires_from");
  });
});

describe("texts, lists and kinds", () => {
  test("empty values are no filter; texts are trimmed; a repeated parameter counts once (its first value)", () => {
    const { filters } = parse("subject=&jwt_name=%20%20NAME%20&jwt_name=OTHER&status=");
    expect(filters).toEqual({ jwt_name: "NAME" });
  });

  test("claim keys: comma-separated, trimmed, de-duplicated, at most 20", () => {
    expect(parse("claim_keys=sub,%20role,,sub").filters.claim_keys).toEqual(["sub", "role"]);
    expect(refused(`claim_keys=${Array.from({ length: 21 }, (_, i) => `k${i}`).join(",")}`).status).toBe(400);
  });

  test("characters the database cannot store and over-long texts are 400s, not queries", () => {
    expect(refused("subject=a%00b").status).toBe(400);
    expect(refused(`subject=${"x".repeat(501)}`).status).toBe(400);
    expect(refused("status=replaced").status).toBe(400);
    expect(parse("status=superseded").filters.status).toBe("superseded");
  });

  test("the kinds a filter can match: TARA-only filters narrow to TARA, and contradict type=custom", () => {
    expect(kindsFor(parse("").filters)).toEqual(["custom", "tara"]);
    expect(kindsFor(parse("type=custom").filters)).toEqual(["custom"]);
    expect(kindsFor(parse("loa=high").filters)).toEqual(["tara"]);
    expect(kindsFor(parse("auth_method=mID").filters)).toEqual(["tara"]);
    expect(refused("type=custom&auth_method=mID").message).toContain("auth_method and loa apply to TARA tokens only");
  });
});

describe("paging", () => {
  test("defaults, bounds and sort fields", () => {
    expect(parse("").page).toEqual({ sort: "issued_at", order: "desc", limit: 50 });
    expect(parse("sort=expires_at&order=asc&limit=500").page).toMatchObject({ sort: "expires_at", order: "asc", limit: 500 });
    for (const bad of ["limit=0", "limit=501", "limit=1.5", "sort=subject", "order=up"]) expect(refused(bad).status, bad).toBe(400);
  });
});

describe("round trip", () => {
  test("filtersToParams gives parameters that parse back to the same filters (links, exports, audit)", () => {
    const { filters } = parse(
      "type=tara&subject=EE38001085718&status=active&issued_from=2025-01-01&issued_to=2025-01-31&claim_keys=sub,acr&loa=high&audience=svc",
    );
    const searched = parse("subject=EE3800&subject_match=prefix&jwt_name=ses&name_match=contains&address=10.0.0.0/8&reason=stolen&status=superseded").filters;
    expect(parseTokenQuery(new URLSearchParams(filtersToParams(searched))).filters).toEqual(searched);
    const params = filtersToParams(filters);
    expect(params).toMatchObject({ issued_to: "2025-01-31T23:59:59.999Z", claim_keys: "sub,acr" });
    expect(parseTokenQuery(new URLSearchParams(params)).filters).toEqual(filters);
  });
});
