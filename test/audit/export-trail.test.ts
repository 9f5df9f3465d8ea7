/**
 * The audit-trail export (console → Audit log → Export): JSON Lines of the
 * hash-chained trail plus TARA's protocol log, verifiable away from TIM, and
 * the per-login protocol excerpt; each download is itself audited.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { authSecret } from "@/lib/auth/secret";
import { verifyExportedTrail } from "@/lib/audit/verify";
import { resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { adminSessionCookie } from "@/test/support/admin-session";
import { Browser, CLIENT_SECRET, startTaraWorld, type TaraWorld } from "@/test/tara/support";

const ADMIN = "EE38001085718";
let world: TaraWorld;
let cookie: string;
let loginState: string;
const dir = mkdtempSync(path.join(tmpdir(), "tim-audit-export-"));

const lines = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, any>);
const verify = (text: string) => verifyExportedTrail(Readable.from(text.split("\n")));
const download = (p: string, headers: Record<string, string> = { cookie }) => fetch(`${world.tim.url}${p}`, { headers });

beforeAll(async () => {
  process.env.TIM_ADMIN_SUBJECTS = ADMIN;
  world = await startTaraWorld();
  cookie = await adminSessionCookie(ADMIN, authSecret(), false);
  // One real login through the stand-in: its three protocol messages are in the log.
  const browser = new Browser();
  const start = await browser.fetch(`${world.tim.url}/auth/login/tara`);
  const authorize = new URL(start.headers.get("location")!);
  loginState = authorize.searchParams.get("state")!;
  authorize.searchParams.set("autologin", ADMIN);
  const { url: callback } = await browser.followUntil(authorize.toString(), world.callbackUrl);
  expect((await browser.fetch(callback)).status).toBe(303);
});
afterAll(async () => {
  await world.close();
  delete process.env.TIM_ADMIN_SUBJECTS;
  resetConfig();
  rmSync(dir, { recursive: true, force: true });
});

describe("audit-trail export", () => {
  test("the whole trail with TARA's protocol log, ending with its own audited export, verifies offline", async () => {
    const res = await download("/admin/audit/export");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="tim-audit-trail-.*\.jsonl"/);
    const text = await res.text();
    const records = lines(text);
    expect(records[0]).toMatchObject({ record: "export", format: "tim-audit-trail/1", first_seq: null, protocol_log: true });
    const audit = records.filter((r) => r.record === "audit");
    expect(audit.at(-1)).toMatchObject({ action: "audit.export", actor_type: "administrator", actor_id: ADMIN, target: { protocol_log: true } });
    expect(audit.at(-1)!.seq).toBe(records[0].through_seq);
    const stored = await (await db()).audit.count();
    expect(audit.length).toBe(stored);

    const login = records.filter((r) => r.record === "tara_protocol" && r.state === loginState);
    expect(login.map((r) => r.message)).toEqual(["authentication_request", "redirect_request", "token_response"]);
    expect(login[2]).toMatchObject({ verified: true, http_status: 200 });
    expect(login[2].id_token).toMatch(/^ey/);
    expect(text).not.toContain(CLIENT_SECRET);

    const verified = await verify(text);
    expect(verified).toMatchObject({ ok: true, rows: audit.length, firstPrevHash: "0".repeat(64), lastHash: audit.at(-1)!.hash });
    expect(verified.protocolMessages).toBe(records.filter((r) => r.record === "tara_protocol").length);
  });

  test("an altered or a removed line is found, by the library and by npm run audit:verify -- --file", async () => {
    const text = await (await download("/admin/audit/export?protocol_log=0")).text();
    const records = lines(text);
    expect(records.some((r) => r.record === "tara_protocol")).toBe(false);
    const audit = records.filter((r) => r.record === "audit");
    expect(audit.length).toBeGreaterThanOrEqual(2);

    const altered = records.map((r) => (r === audit[0] ? { ...r, actor_id: "someone-else" } : r));
    const alteredText = altered.map((r) => JSON.stringify(r)).join("\n");
    expect(await verify(alteredText)).toMatchObject({ ok: false, brokenAt: { kind: "altered", seq: audit[0].seq } });
    const removed = records
      .filter((r) => r !== audit[0])
      .map((r) => JSON.stringify(r))
      .join("\n");
    expect(await verify(removed)).toMatchObject({ ok: false, brokenAt: { kind: "link", seq: audit[1].seq } });

    const good = path.join(dir, "good.jsonl");
    const bad = path.join(dir, "bad.jsonl");
    writeFileSync(good, text);
    writeFileSync(bad, alteredText);
    // Asynchronously: the TIM under test serves from this process and must not stall meanwhile.
    const cli = (file: string) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile("npx", ["tsx", "scripts/audit-verify.ts", "--file", file], { env: { ...process.env, TIM_LOG_LEVEL: "error" } }, (err, stdout, stderr) =>
          resolve({ status: err ? Number(err.code) : 0, stdout, stderr }),
        );
      });
    const ok = await cli(good);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`intact: ${audit.length} row\\(s\\)`));
    const broken = await cli(bad);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(`seq ${audit[0].seq}`);
  }, 180_000);

  test("a period is a stretch of the chain that starts from the previous period's last hash", async () => {
    const whole = lines(await (await download("/admin/audit/export?protocol_log=0")).text()).filter((r) => r.record === "audit");
    const from = whole.at(-1)!.at;
    const text = await (await download(`/admin/audit/export?from=${encodeURIComponent(from)}`)).text();
    const records = lines(text);
    expect(records[0].first_seq).toBe(whole.at(-1)!.seq);
    const verified = await verify(text);
    expect(verified.ok).toBe(true);
    expect(verified.firstPrevHash).toBe(whole.at(-2)!.hash);
    // A period in the past: the export's own entry is not in it, but it is in the trail.
    const past = lines(await (await download("/admin/audit/export?to=2000-01-01&protocol_log=0")).text());
    expect(past.filter((r) => r.record === "audit")).toEqual([]);
    const own = await (await db()).audit.findFirst({ where: { action: "audit.export" }, orderBy: { seq: "desc" } });
    expect(own?.target).toMatchObject({ to: "2000-01-01T23:59:59.999Z", protocol_log: false });
  });

  test("only administrators download it; bad periods are 400s", async () => {
    expect((await download("/admin/audit/export", {})).status).toBe(401);
    const bad = await download("/admin/audit/export?from=yesterday");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_request" });
    const reversed = await download("/admin/audit/export?from=2026-02-02&to=2026-01-01");
    expect(reversed.status).toBe(400);
  });
});

describe("one login's protocol excerpt", () => {
  test("is a JSON file with its three messages; the download is audited; no secret in it", async () => {
    const res = await download(`/admin/tara-logins/${encodeURIComponent(loginState)}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="tara-login-.*\.json"/);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.state).toBe(loginState);
    expect(body.messages.map((m: { message: string }) => m.message)).toEqual(["authentication_request", "redirect_request", "token_response"]);
    expect(text).not.toContain(CLIENT_SECRET);
    const entry = await (await db()).audit.findFirst({ where: { action: "tara.protocol_log.export" }, orderBy: { seq: "desc" } });
    expect(entry).toMatchObject({ actorId: ADMIN, target: { state: loginState }, counts: { messages: 3 } });
  });

  test("an unknown login is a JSON 404; without a session a 401", async () => {
    const res = await download("/admin/tara-logins/no-such-state/export");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
    expect((await download(`/admin/tara-logins/${loginState}/export`, {})).status).toBe(401);
  });
});
