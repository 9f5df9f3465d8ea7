import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { countTokens } from "@/lib/reporting/count";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { tokenDetail } from "@/lib/reporting/token-detail";
import { useApi } from "@/test/support/use-api";
import { hoursFromNow, reportClient, seedTokens, unique, type ReportClient } from "@/test/reporting/seed";

const api = useApi();
let client: ReportClient;
beforeAll(async () => {
  client = await reportClient();
});

async function get(path: string, auth = client.auth) {
  const send = () => fetch(`${api.server.url}${path}`, { headers: { authorization: auth } });
  // A kept-alive connection the server closed while a slow fixture ran is reset once; GET is safe to repeat.
  const res = await send().catch(send);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV or JSON Lines
  }
  return { status: res.status, body, text, headers: res.headers };
}

const ids = (items: { jwt_uuid: string }[]) => new Set(items.map((i) => i.jwt_uuid));

describe("access", () => {
  test("needs client credentials with the reports:read scope", async () => {
    const anonymous = await fetch(`${api.server.url}/api/reports/tokens`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error).toBe("invalid_client");
    const issuer = await reportClient(["tokens:issue"]);
    const forbidden = await get("/api/reports/tokens", issuer.auth);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe("insufficient_scope");
    for (const path of ["/api/reports/tokens/export?format=csv", "/api/reports/stats"]) {
      expect((await get(path, issuer.auth)).status).toBe(403);
    }
  });
});

describe("filters", () => {
  const name = unique("filters");
  const audience = unique("aud");
  const clientId = unique("client");
  let seeded: Awaited<ReturnType<typeof seedTokens>>;
  beforeAll(async () => {
    seeded = await seedTokens([
      /* 0 */ { jwtName: name, subject: "alice", issuedAt: new Date("2025-01-10T10:00:00Z"), expiresAt: hoursFromNow(24), claimKeys: "sub,role" },
      /* 1 */ {
        jwtName: name,
        subject: "bob",
        issuedAt: new Date("2025-02-10T10:00:00Z"),
        expiresAt: new Date("2025-02-10T11:00:00Z"),
        claimKeys: "sub,role,department",
      },
      /* 2 */ {
        jwtName: name,
        subject: "alice",
        issuedAt: new Date("2025-03-10T10:00:00Z"),
        expiresAt: hoursFromNow(48),
        revoked: { reason: "incident" },
        audience: `${audience},other`,
      },
      /* 3 */ {
        jwtName: name,
        subject: "carol",
        kind: "tara",
        authMethod: "smartid",
        loa: "substantial",
        issuedAt: new Date("2025-03-11T10:00:00Z"),
        expiresAt: hoursFromNow(1),
      },
      /* 4 */ {
        jwtName: name,
        subject: "dave",
        kind: "tara",
        authMethod: "mID",
        loa: "high",
        issuedAt: new Date("2025-03-12T10:00:00Z"),
        expiresAt: hoursFromNow(2),
        issuer: "TIM-other",
      },
      /* 5 */ { jwtName: name, subject: "erin", clientId, issuedAt: new Date("2025-03-13T10:00:00Z"), expiresAt: hoursFromNow(3), claimKeys: "service,scope" },
    ]);
  });

  const cases: [string, string, number[]][] = [
    ["no further filter", "", [0, 1, 2, 3, 4, 5]],
    ["type=custom", "type=custom", [0, 1, 2, 5]],
    ["type=tara", "type=tara", [3, 4]],
    ["subject", "subject=alice", [0, 2]],
    ["status=active", "status=active", [0, 3, 4, 5]],
    ["status=expired", "status=expired", [1]],
    ["status=revoked", "status=revoked", [2]],
    ["issued range (date-only to includes the day)", "issued_from=2025-02-01&issued_to=2025-03-11", [1, 2, 3]],
    ["issued range with times", "issued_from=2025-03-10T10:00:00Z&issued_to=2025-03-12T09:59", [2, 3]],
    ["expires range", `expires_to=2025-12-31`, [1]],
    ["one claim key", "claim_keys=department", [1]],
    ["several claim keys must all be present", "claim_keys=sub,role", [0, 1, 2, 3, 4]],
    ["issuer", "issuer=TIM-other", [4]],
    ["audience is one of the token's audiences", `audience=${audience}`, [2]],
    ["API client", `client_id=${clientId}`, [5]],
    ["TARA auth method", "auth_method=smartid", [3]],
    ["TARA level of assurance", "loa=high", [4]],
    ["combined", "type=custom&subject=alice&status=revoked", [2]],
  ];
  test.each(cases)("%s", async (_label, query, expected) => {
    const res = await get(`/api/reports/tokens?jwt_name=${name}${query ? `&${query}` : ""}`);
    expect(res.status).toBe(200);
    expect(ids(res.body.items)).toEqual(new Set(expected.map((i) => seeded[i].jwtUuid)));
    expect(res.body.total).toBe(expected.length);
  });

  test("rows carry status and revocation details; sorted by issue time, newest first", async () => {
    const res = await get(`/api/reports/tokens?jwt_name=${name}`);
    const issued = res.body.items.map((i: any) => i.issued_at);
    expect(issued).toEqual([...issued].sort().reverse());
    const revoked = res.body.items.find((i: any) => i.jwt_uuid === seeded[2].jwtUuid);
    expect(revoked).toMatchObject({ status: "revoked", revocation_reason: "incident", kind: "custom", subject: "alice" });
    expect(revoked.revoked_at).toMatch(/Z$/);
    const tara = res.body.items.find((i: any) => i.jwt_uuid === seeded[3].jwtUuid);
    expect(tara).toMatchObject({ kind: "tara", token_type: "tara_jwt", auth_method: "smartid", level_of_assurance: "substantial" });
  });

  test("sorts by expiry time ascending", async () => {
    const res = await get(`/api/reports/tokens?jwt_name=${name}&sort=expires_at&order=asc`);
    const expires = res.body.items.map((i: any) => i.expires_at);
    expect(expires).toEqual([...expires].sort());
    expect(expires).toHaveLength(6);
  });

  test.each([
    ["issued_from=yesterday", /issued_from/],
    ["status=gone", /status/],
    ["type=jwt", /type/],
    ["limit=0", /limit/],
    ["limit=100000", /limit/],
    ["sort=subject", /sort/],
    ["issued_from=2025-03-01&issued_to=2025-02-01", /issued_to/],
    ["type=custom&loa=high", /TARA/],
    ["cursor=not-a-cursor", /cursor/],
    ["issued_from=2025-02-30", /issued_from/],
    // the search filters of issue 19 §2 and issue 17 §1
    ["address=not-an-address", /address.*not an IP address or CIDR range/],
    ["address=10.0.0.0/33", /address/],
    ["address=2001:db8::/129", /address/],
    ["address=10.0.0.1/8/8", /address/],
    ["address=10.0.0.0/-1", /address/],
    ["subject=ab&subject_match=contains", /at least 3 characters/],
    ["jwt_name=x&name_match=contains", /jwt_name.*at least 3 characters/],
    ["subject=a&subject_match=suffix", /subject_match/],
    ["status=replaced", /status/],
  ])("bad filter %s is a 400 with a message", async (query, message) => {
    const res = await get(`/api/reports/tokens?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_request");
    expect(res.body.message).toMatch(message);
  });
});

describe("keyset paging", () => {
  test("pages stay stable while new tokens are issued, without duplicates or gaps", async () => {
    const name = unique("paging");
    const base = Date.UTC(2025, 5, 1);
    // Pairs share an issue time, so the id tie-breaker matters.
    const original = await seedTokens(
      Array.from({ length: 25 }, (_, i) => ({
        jwtName: name,
        kind: i % 3 === 0 ? ("tara" as const) : ("custom" as const),
        issuedAt: new Date(base + Math.floor(i / 2) * 60_000),
      })),
    );
    const first = await get(`/api/reports/tokens?jwt_name=${name}&limit=10`);
    expect(first.body.items).toHaveLength(10);
    expect(first.body.total).toBe(25);

    // Newer tokens arrive between page reads; one older than everything too.
    await seedTokens([
      ...Array.from({ length: 5 }, () => ({ jwtName: name, issuedAt: new Date(base + 3_600_000) })),
      { jwtName: name, kind: "tara" as const, issuedAt: new Date(base - 3_600_000) },
    ]);

    const seen = [...first.body.items];
    let cursor = first.body.next_cursor;
    let pages = 1;
    const counted = await get(`/api/reports/tokens?jwt_name=${name}&limit=10&cursor=${cursor}&total=true`);
    expect(counted.body.total).toBe(31);
    while (cursor) {
      const res = await get(`/api/reports/tokens?jwt_name=${name}&limit=10&cursor=${cursor}`);
      expect(res.status).toBe(200);
      expect(res.body.total).toBeNull();
      seen.push(...res.body.items);
      cursor = res.body.next_cursor;
      pages++;
    }
    const seenIds = seen.map((s) => s.jwt_uuid);
    expect(new Set(seenIds).size).toBe(seenIds.length);
    for (const o of original) expect(seenIds).toContain(o.jwtUuid);
    // the five newer ones sort before the cursor: not on later pages
    expect(seen).toHaveLength(26);
    expect(pages).toBe(3);
    const times = seen.map((s) => s.issued_at);
    expect(times).toEqual([...times].sort().reverse());
  });

  test("a cursor from another sort order is refused", async () => {
    const name = unique("paging-sort");
    await seedTokens(Array.from({ length: 3 }, () => ({ jwtName: name })));
    const first = await get(`/api/reports/tokens?jwt_name=${name}&limit=1`);
    const res = await get(`/api/reports/tokens?jwt_name=${name}&limit=1&sort=expires_at&cursor=${first.body.next_cursor}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/sort order/);
  });
});

describe("export", () => {
  const name = unique("export");
  const rows = 2_345;
  beforeAll(async () => {
    const tokens = Array.from({ length: rows }, (_, i) => ({
      jwtName: name,
      kind: i % 4 === 0 ? ("tara" as const) : ("custom" as const),
      issuedAt: new Date(Date.UTC(2025, 0, 1) + (i % 500) * 1000),
      claims: { sub: `s${i}`, note: i % 7 === 0 ? '=HYPERLINK("x"), "quoted"\nline' : "plain" },
      revoked: i % 10 === 0 ? { reason: "export test" } : undefined,
    }));
    for (let i = 0; i < tokens.length; i += 500) await seedTokens(tokens.slice(i, i + 500));
  });

  test("CSV holds every matching row, as many as the count query, and the export is audited", async () => {
    const since = new Date();
    const { filters } = parseTokenQuery(new URLSearchParams({ jwt_name: name }));
    const expected = await countTokens(filters);
    expect(expected).toBe(rows);
    const res = await get(`/api/reports/tokens/export?format=csv&jwt_name=${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="tim-tokens-.*\.csv"/);
    const records = parse(res.text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(expected);
    expect(new Set(records.map((r) => r.jwt_uuid)).size).toBe(expected);
    expect(records.filter((r) => r.status === "revoked")).toHaveLength(Math.ceil(rows / 10));
    const tricky = records.find((r) => r.claims.includes("HYPERLINK"))!;
    expect(JSON.parse(tricky.claims).note).toBe('=HYPERLINK("x"), "quoted"\nline');

    const audit = await (await db()).audit.findFirst({
      where: { action: "tokens.export", actorId: client.clientId, at: { gte: since } },
      orderBy: { seq: "desc" },
    });
    expect(audit).toMatchObject({ actorType: "api_client", target: { query: { jwt_name: name }, format: "csv" }, counts: { rows } });
  });

  test("JSON Lines holds the same rows with their claims", async () => {
    const res = await get(`/api/reports/tokens/export?format=jsonl&jwt_name=${name}&type=tara`);
    expect(res.status).toBe(200);
    const lines = res.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const { filters } = parseTokenQuery(new URLSearchParams({ jwt_name: name, type: "tara" }));
    expect(lines).toHaveLength(await countTokens(filters));
    expect(lines.every((l) => l.kind === "tara" && typeof l.claims === "object")).toBe(true);
  });

  test("an empty result is a CSV with only the header; a bad format is a 400", async () => {
    const empty = await get(`/api/reports/tokens/export?format=csv&jwt_name=${unique("none")}`);
    expect(empty.text.trim().split("\n")).toEqual([expect.stringMatching(/^kind,token_type,jwt_uuid/)]);
    const bad = await get(`/api/reports/tokens/export?format=xml`);
    expect(bad.status).toBe(400);
  });
});

describe("usage counters (kept beside the insert-only metadata rows)", () => {
  const name = unique("usage");
  let seeded: Awaited<ReturnType<typeof seedTokens>>;
  const lastUsedAt = new Date("2026-11-30T08:00:00.000Z");
  beforeAll(async () => {
    seeded = await seedTokens([{ jwtName: name }, { jwtName: name, kind: "tara" }, { jwtName: name }]);
    const prisma = await db();
    await prisma.customTokenUsage.create({ data: { jwtUuid: seeded[0].jwtUuid, useCount: 12, lastUsedAt } });
    await prisma.taraTokenUsage.create({ data: { jwtUuid: seeded[1].jwtUuid, useCount: 3, lastUsedAt } });
  });

  const expected = () => ({
    [seeded[0].jwtUuid]: { use_count: 12, last_used_at: lastUsedAt.toISOString() },
    [seeded[1].jwtUuid]: { use_count: 3, last_used_at: lastUsedAt.toISOString() },
    [seeded[2].jwtUuid]: { use_count: 0, last_used_at: null },
  });

  test("the search, the CSV export and the console's token detail show them as before", async () => {
    const search = await get(`/api/reports/tokens?jwt_name=${name}`);
    expect(search.status).toBe(200);
    const shown = Object.fromEntries(
      (search.body.items as Array<{ jwt_uuid: string; use_count: number; last_used_at: string | null }>).map((i) => [
        i.jwt_uuid,
        { use_count: i.use_count, last_used_at: i.last_used_at },
      ]),
    );
    expect(shown).toEqual(expected());

    const csv = await get(`/api/reports/tokens/export?format=csv&jwt_name=${name}`);
    const records = parse(csv.text, { columns: true }) as Record<string, string>[];
    const exported = Object.fromEntries(records.map((r) => [r.jwt_uuid, { use_count: Number(r.use_count), last_used_at: r.last_used_at || null }]));
    expect(exported).toEqual(expected());

    const detail = (await tokenDetail(seeded[1].jwtUuid))!;
    expect(detail.metadata).toMatchObject({ useCount: 3, lastUsedAt });
    expect((await tokenDetail(seeded[2].jwtUuid))!.metadata).toMatchObject({ useCount: 0, lastUsedAt: null });
  });
});
