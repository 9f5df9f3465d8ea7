/**
 * Administrators without a restart: the first-run setup code, grants and
 * removals at run time (console and CLI), personal codes checked, all audited.
 */
import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { claimSetupCode, hasAdministrator, issueSetupCode } from "@/lib/admins/first-run";
import { grantAdministrator, listAdministrators, removeAdministrator } from "@/lib/admins/manage-administrators";
import { authSecret } from "@/lib/auth/secret";
import { roleFor } from "@/lib/auth/roles";
import { config, resetConfig } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { createScratchTim } from "@/test/audit/scratch-tim";
import { adminSessionCookie } from "@/test/support/admin-session";
import { useApi } from "@/test/support/use-api";

const run = promisify(execFile);
const newCode = () => `EE${randomInt(10_000_000_000, 99_999_999_999)}`;
const ROOT = { type: "administrator" as const, id: "EE-test-root" };

async function lastAudit(action: string) {
  return (await db()).audit.findFirst({ where: { action }, orderBy: { seq: "desc" } });
}

beforeAll(async () => {
  delete process.env.TIM_ADMIN_SUBJECTS;
  resetConfig();
  // Only this file grants administrators; on the shared PostgreSQL test database it starts from none.
  await (await db()).administrator.deleteMany({});
});
const api = useApi();
afterAll(async () => {
  await (await db()).administrator.deleteMany({});
});

describe("TIM_ADMIN_SUBJECTS", () => {
  test("a personal code without its country prefix is refused at start-up, saying what to write", () => {
    process.env.TIM_ADMIN_SUBJECTS = "EE38001085718, 38001085718";
    resetConfig();
    try {
      expect(() => config()).toThrow(/TIM_ADMIN_SUBJECTS: 38001085718 has no country prefix: write it as TARA gives it, e\.g\. EE38001085718/);
    } finally {
      delete process.env.TIM_ADMIN_SUBJECTS;
      resetConfig();
    }
  });
});

describe("first run", () => {
  test("with no administrator, a one-time code makes the first person to claim it administrator; then the setup is over", async () => {
    expect(await hasAdministrator()).toBe(false);
    const first = (await issueSetupCode())!;
    const second = (await issueSetupCode())!; // another instance's start
    expect(first.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.expiresAt.getTime() - Date.now()).toBeGreaterThan(59 * 60_000);
    const stored = await (await db()).adminSetupCode.findMany();
    expect(JSON.stringify(stored)).not.toContain(first.code);

    const person = newCode();
    await expect(claimSetupCode("not-the-code", person)).rejects.toMatchObject({ code: "invalid_setup_code", status: 400 });
    expect(await roleFor(person)).toBe("user");

    // Two people claim at once with the two codes: exactly one becomes administrator.
    const rival = newCode();
    const outcomes = await Promise.allSettled([claimSetupCode(first.code, person, "req-setup"), claimSetupCode(second.code, rival)]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: expect.stringMatching(/^(setup_done|invalid_setup_code)$/) });
    const winner = outcomes[0].status === "fulfilled" ? person : rival;
    expect(await roleFor(winner)).toBe("admin");
    expect(await (await db()).adminSetupCode.count()).toBe(0);
    expect(await lastAudit("admin.setup")).toMatchObject({ actorType: "end_user", actorId: winner, target: { subject: winner } });

    await expect(claimSetupCode(first.code, newCode())).rejects.toMatchObject({ code: "setup_done" });
    expect(await issueSetupCode()).toBeUndefined();
  });
});

describe("granting and removing at run time", () => {
  test("grant and removal take effect on the next request, are audited, and keep one administrator", async () => {
    const someone = newCode();
    expect(await roleFor(someone)).toBe("user");
    expect(await grantAdministrator(someone.toLowerCase(), ROOT, "req-grant")).toEqual({ subject: someone, granted: true });
    expect(await roleFor(someone)).toBe("admin");
    expect(await lastAudit("admin.grant")).toMatchObject({ actorId: ROOT.id, target: { subject: someone }, requestId: "req-grant" });
    expect(await grantAdministrator(someone, ROOT)).toEqual({ subject: someone, granted: false });
    expect((await listAdministrators()).find((a) => a.subject === someone)).toMatchObject({ source: "granted", grantedBy: "administrator:EE-test-root" });

    // A console download with a granted administrator's session, before and after the removal.
    const cookie = await adminSessionCookie(someone, authSecret(), false);
    expect((await fetch(`${api.server.url}/admin/audit/export?protocol_log=0`, { headers: { cookie } })).status).toBe(200);
    await removeAdministrator(someone, ROOT, "req-remove");
    expect(await roleFor(someone)).toBe("user");
    expect((await fetch(`${api.server.url}/admin/audit/export?protocol_log=0`, { headers: { cookie } })).status).toBe(403);
    expect(await lastAudit("admin.revoke")).toMatchObject({ target: { subject: someone }, requestId: "req-remove" });

    const [only] = await listAdministrators();
    await expect(removeAdministrator(only.subject, ROOT)).rejects.toMatchObject({ code: "last_administrator", status: 409 });
    await expect(removeAdministrator(newCode(), ROOT)).rejects.toMatchObject({ code: "not_found" });
  });

  test("bad personal codes are 400s naming the fix; a seeded administrator is changed only in the environment", async () => {
    await expect(grantAdministrator("38001085718", ROOT)).rejects.toMatchObject({ status: 400, message: expect.stringContaining("EE38001085718") });
    await expect(grantAdministrator("<script>", ROOT)).rejects.toMatchObject({ status: 400 });
    const seeded = newCode();
    process.env.TIM_ADMIN_SUBJECTS = seeded;
    resetConfig();
    try {
      expect(await roleFor(seeded)).toBe("admin");
      expect((await listAdministrators())[0]).toMatchObject({ subject: seeded, source: "environment" });
      await expect(removeAdministrator(seeded, ROOT)).rejects.toMatchObject({ code: "administrator_seeded" });
    } finally {
      delete process.env.TIM_ADMIN_SUBJECTS;
      resetConfig();
    }
  });
});

describe("npm run tim", () => {
  test("adds and lists administrators and creates an API client, audited as cli:<user>; bad input exits non-zero", async () => {
    const scratch = await createScratchTim({ forChildProcess: true });
    await scratch.release();
    const env = { ...process.env, ...scratch.env, TIM_ADMIN_SUBJECTS: "", TIM_LOG_LEVEL: "error" };
    const tim = (...args: string[]) =>
      run("npx", ["tsx", "scripts/tim.ts", ...args], { env }).then(
        (r) => ({ code: 0, ...r }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
    try {
      const person = newCode();
      expect((await tim("admin", "add", person)).stdout).toContain(`${person} is now an administrator.`);
      expect((await tim("admin", "list")).stdout).toMatch(new RegExp(`${person}\\tgranted by system_job:cli:`));
      const client = await tim("client", "create", "--name", "scripted", "--scopes", "tokens:issue,tokens:validate", "--id", "scripted-client");
      expect(client.code).toBe(0);
      expect(client.stdout).toMatch(/client_secret: [A-Za-z0-9_-]{43}/);
      const bad = await tim("admin", "add", "38001085718");
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("write it as TARA gives it, e.g. EE38001085718");
      expect((await tim("frobnicate")).code).toBe(2);
    } finally {
      await scratch.drop();
    }
  }, 240_000);
});
