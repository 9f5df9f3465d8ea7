import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { previewRevocationByQuery } from "@/lib/admin/revoke-query";
import { parseTokenQuery } from "@/lib/reporting/filters";
import { tokenDetail } from "@/lib/reporting/token-detail";
import { extensionChain } from "@/lib/tokens/chain";
import { startTestServer, type TestServer } from "@/test/support/http";
import { reportClient, seedTokens, unique, type ReportClient, type SeededToken } from "@/test/reporting/seed";
import { call, claimsOf, newClient, type TestClient } from "@/test/tokens/helpers";

// Issue 17 §1 (where a token came from: the address filter; one status with `superseded`) and issue 19 §2
// (search by prefix and contains, revocation reason, paging both ways), through GET /api/reports/tokens,
// the export, token detail, list/me, introspection and revocation by query.

let server: TestServer;
let reports: ReportClient;
let api: TestClient;
beforeAll(async () => {
  server = await startTestServer();
  reports = await reportClient();
  api = await newClient();
});
afterAll(async () => server.close());

async function get(path: string) {
  const send = () => fetch(`${server.url}${path}`, { headers: { authorization: reports.auth } });
  const res = await send().catch(send);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV
  }
  return { status: res.status, body, text };
}

const idsOf = (items: { jwt_uuid: string }[]) => new Set(items.map((i) => i.jwt_uuid));

describe("filters", () => {
  const name = unique("h46-search");
  // Subjects of this run only (PostgreSQL shares the tables between test files): a tag makes prefixes unique.
  const tag = unique("st").replaceAll("-", "");
  let s: SeededToken[];
  beforeAll(async () => {
    s = await seedTokens([
      /* 0 */ { jwtName: name, subject: `${tag}-alice`, clientAddress: "203.0.113.7", userAgent: "curl/8.5.0" },
      /* 1 */ { jwtName: name, subject: `${tag}-alina`, clientAddress: "203.0.113.200", revoked: { reason: "Laptop stolen" } },
      /* 2 */ { jwtName: name, subject: `${tag}-bob`, clientAddress: "198.51.100.4", revoked: { reason: "extended" } },
      /* 3 */ { jwtName: name, subject: `${tag}-x%_y`, kind: "tara", clientAddress: "2001:db8:abcd::5" },
      /* 4 */ { jwtName: name, subject: `${tag}-xAy`, expiresAt: new Date(Date.now() - 60_000), issuedAt: new Date(Date.now() - 3_600_000) },
      /* 5 */ { jwtName: `${name}-other`, subject: `${tag}-carol`, clientAddress: "10.20.30.40" },
    ]);
  });

  const cases: [string, () => string, number[]][] = [
    ["address: one IPv4 address", () => `jwt_name=${name}&address=203.0.113.7`, [0]],
    ["address: an IPv4 CIDR range", () => `jwt_name=${name}&address=203.0.113.0/24`, [0, 1]],
    ["address: an IPv6 CIDR range", () => `jwt_name=${name}&address=2001:db8:abcd::/48`, [3]],
    ["address: /0 matches every recorded address, none of the unrecorded", () => `jwt_name=${name}&address=0.0.0.0/0`, [0, 1, 2]],
    ["address: a range nothing came from", () => `jwt_name=${name}&address=192.0.2.0/24`, []],
    ["subject exact (the default)", () => `subject=${tag}-alice`, [0]],
    ["subject prefix", () => `subject=${tag}-ali&subject_match=prefix`, [0, 1]],
    ["subject prefix is case-sensitive", () => `subject=${tag}-ALI&subject_match=prefix`, []],
    ["subject contains, any case", () => `subject=${tag.slice(4)}-AL&subject_match=contains`, [0, 1]],
    ["% and _ are matched literally", () => `subject=${encodeURIComponent("x%_")}&subject_match=contains&jwt_name=${name}`, [3]],
    ["_ is not a wildcard", () => `subject=${encodeURIComponent(`${tag}-x_`)}&subject_match=prefix`, []],
    ["name prefix", () => `jwt_name=${name}&name_match=prefix&subject=${tag}&subject_match=prefix`, [0, 1, 2, 3, 4, 5]],
    ["name contains", () => `jwt_name=${name.slice(3).toUpperCase()}-oth&name_match=contains`, [5]],
    ["revocation reason contains, any case", () => `jwt_name=${name}&reason=stolen`, [1]],
    ["status=revoked leaves out superseded tokens", () => `jwt_name=${name}&status=revoked`, [1]],
    ["status=superseded", () => `jwt_name=${name}&status=superseded`, [2]],
    ["status=active", () => `jwt_name=${name}&status=active`, [0, 3]],
    ["status=expired", () => `jwt_name=${name}&status=expired`, [4]],
  ];
  test.each(cases)("%s", async (_label, query, expected) => {
    const res = await get(`/api/reports/tokens?${query()}`);
    expect(res.status, res.text).toBe(200);
    expect(idsOf(res.body.items)).toEqual(new Set(expected.map((i) => s[i].jwtUuid)));
    expect(res.body.total).toBe(expected.length);
  });

  test("rows carry status (superseded apart from revoked), client address and user agent", async () => {
    const res = await get(`/api/reports/tokens?jwt_name=${name}`);
    const row = (i: number) => res.body.items.find((r: any) => r.jwt_uuid === s[i].jwtUuid);
    expect(row(0)).toMatchObject({ status: "active", client_address: "203.0.113.7", user_agent: "curl/8.5.0" });
    expect(row(1)).toMatchObject({ status: "revoked", revocation_reason: "Laptop stolen" });
    expect(row(2)).toMatchObject({ status: "superseded", revocation_reason: "extended" });
    expect(row(3)).toMatchObject({ kind: "tara", client_address: "2001:db8:abcd::5", user_agent: null });
    expect(row(4)).toMatchObject({ status: "expired", client_address: null });
  });

  test("the export carries status, client_address and user_agent columns", async () => {
    const res = await get(`/api/reports/tokens/export?format=csv&jwt_name=${name}`);
    expect(res.status).toBe(200);
    const rows = parse(res.text, { columns: true }) as Record<string, string>[];
    const row = (i: number) => rows.find((r) => r.jwt_uuid === s[i].jwtUuid)!;
    expect(row(0)).toMatchObject({ status: "active", client_address: "203.0.113.7", user_agent: "curl/8.5.0" });
    expect(row(2).status).toBe("superseded");
    expect(row(1).status).toBe("revoked");
    const jsonl = await get(`/api/reports/tokens/export?format=jsonl&jwt_name=${name}&status=superseded`);
    const lines = jsonl.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ jwt_uuid: s[2].jwtUuid, status: "superseded", client_address: "198.51.100.4" })]);
  });

  test("token detail reports superseded and the origin", async () => {
    expect((await tokenDetail(s[2].jwtUuid))?.status).toBe("superseded");
    expect((await tokenDetail(s[1].jwtUuid))?.status).toBe("revoked");
    expect((await tokenDetail(s[0].jwtUuid))?.metadata).toMatchObject({ clientAddress: "203.0.113.7", userAgent: "curl/8.5.0" });
  });

  test("revocation by query takes the same filters: an address range, a subject prefix", async () => {
    const byRange = await previewRevocationByQuery(parseTokenQuery({ jwt_name: name, address: "203.0.113.0/24" }).filters);
    // active only: the revoked one of the range is not counted
    expect(byRange.matched).toBe(1);
    expect(byRange.sample.map((t) => t.jwt_uuid)).toEqual([s[0].jwtUuid]);
    const byPrefix = await previewRevocationByQuery(parseTokenQuery({ subject: `${tag}-`, subject_match: "prefix" }).filters);
    expect(new Set(byPrefix.sample.map((t) => t.jwt_uuid))).toEqual(new Set([s[0], s[3], s[5]].map((t) => t.jwtUuid)));
    expect(() => parseTokenQuery({ address: "10.0.0.0/40" })).toThrow(/IP address or CIDR/);
  });
});

describe("paging both ways", () => {
  test("next and previous cursors walk the same pages, and the first page has no previous one", async () => {
    const name = unique("h46-pages");
    const base = Date.UTC(2025, 6, 1);
    await seedTokens(
      Array.from({ length: 23 }, (_, i) => ({
        jwtName: name,
        kind: i % 4 === 0 ? ("tara" as const) : ("custom" as const),
        issuedAt: new Date(base + Math.floor(i / 2) * 60_000),
      })),
    );
    const pages: string[][] = [];
    const first = await get(`/api/reports/tokens?jwt_name=${name}&limit=10`);
    expect(first.body.prev_cursor).toBeNull();
    pages.push(first.body.items.map((i: any) => i.jwt_uuid));
    const second = await get(`/api/reports/tokens?jwt_name=${name}&limit=10&cursor=${first.body.next_cursor}`);
    pages.push(second.body.items.map((i: any) => i.jwt_uuid));
    const third = await get(`/api/reports/tokens?jwt_name=${name}&limit=10&cursor=${second.body.next_cursor}`);
    expect(third.body.items).toHaveLength(3);
    expect(third.body.next_cursor).toBeNull();

    const backToSecond = await get(`/api/reports/tokens?jwt_name=${name}&limit=10&cursor=${third.body.prev_cursor}`);
    expect(backToSecond.body.items.map((i: any) => i.jwt_uuid)).toEqual(pages[1]);
    expect(backToSecond.body.next_cursor).not.toBeNull();
    const backToFirst = await get(`/api/reports/tokens?jwt_name=${name}&limit=10&cursor=${backToSecond.body.prev_cursor}`);
    expect(backToFirst.body.items.map((i: any) => i.jwt_uuid)).toEqual(pages[0]);
    expect(backToFirst.body.prev_cursor).toBeNull();
    const forwardAgain = await get(`/api/reports/tokens?jwt_name=${name}&limit=10&cursor=${backToFirst.body.next_cursor}`);
    expect(forwardAgain.body.items.map((i: any) => i.jwt_uuid)).toEqual(pages[1]);
  });
});

describe("one status in every answer", () => {
  test("an extended token is superseded in list/me, the extension chain and the reports; introspection says active for the new one", async () => {
    const sub = unique("h46-status");
    const url = (p: string) => `${server.url}${p}`;
    const issued = await call(url("/jwt/custom/generate"), { json: { content: { sub }, expirationInMinutes: 10 }, auth: api.basic });
    const revokedToo = await call(url("/jwt/custom/generate"), { json: { content: { sub }, expirationInMinutes: 10 }, auth: api.basic });
    const extended = await call(url("/jwt/custom/extend"), { json: { token: issued.body.token, expirationInMinutes: 10 }, auth: api.basic });
    expect(extended.status).toBe(200);
    const revoke = await call(url("/jwt/custom/revoke"), { json: { token: revokedToo.body.token, reason: "test" }, auth: api.basic });
    expect(revoke.status).toBe(200);
    const [oldJti, newJti, revokedJti] = [issued, extended, revokedToo].map((r) => claimsOf(r.body.token).jti as string);

    const mine = await call(url("/jwt/custom/list/me"), { json: {}, auth: `Bearer ${extended.body.token}` });
    expect(mine.status).toBe(200);
    const statuses = Object.fromEntries((mine.body.tokens as any[]).map((t) => [t.jti, t.status]));
    expect(statuses).toEqual({ [oldJti]: "superseded", [newJti]: "active", [revokedJti]: "revoked" });
    const onlySuperseded = await call(url("/jwt/custom/list/me"), { json: { status: "superseded" }, auth: `Bearer ${extended.body.token}` });
    expect(onlySuperseded.body.tokens.map((t: any) => t.jti)).toEqual([oldJti]);

    const chain = await extensionChain("custom", oldJti);
    expect(chain?.chain.map((v) => v.status)).toEqual(["superseded", "active"]);

    const introspected = await call(url("/introspect"), { form: { token: extended.body.token }, auth: api.basic });
    expect(introspected.body).toMatchObject({ active: true, token_status: "active", sub });
    const inactive = await call(url("/introspect"), { form: { token: issued.body.token }, auth: api.basic });
    expect(inactive.body).toEqual({ active: false });

    const report = await get(`/api/reports/tokens?subject=${sub}`);
    expect(Object.fromEntries(report.body.items.map((t: any) => [t.jwt_uuid, t.status]))).toEqual(statuses);
    expect((await tokenDetail(oldJti))?.status).toBe("superseded");
  });
});
