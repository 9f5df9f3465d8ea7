import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";

/**
 * A newcomer's first run, with no restart: `npm start` on an empty embedded
 * database with no administrator and no API client prints a one-time setup
 * link; the first person to sign in through it becomes administrator, creates
 * an API client in the console and issues a token with it.
 */
// Beside the suite's server (TIM_E2E_PORT) and the restart test's (+10).
const PORT = Number(process.env.TIM_E2E_PORT ?? 3100) + 11;
const BASE = `http://localhost:${PORT}`;

async function startFreshTim(dataDir: string): Promise<{ child: ChildProcess; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(PORT),
    HOST: "127.0.0.1",
    NEXTAUTH_URL: BASE,
    TIM_DATA_DIR: dataDir,
    DATABASE_URL: "",
    TIM_LOG_LEVEL: "warn",
  };
  for (const name of ["TIM_ADMIN_SUBJECTS", "TIM_BOOTSTRAP_CLIENT_ID", "TIM_BOOTSTRAP_CLIENT_SECRET", "TARA_ISSUER"]) delete env[name];
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`TIM exited:\n${out}`);
    if (
      /setup\?code=/.test(out) &&
      (await fetch(`${BASE}/api/health`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      return { child, output: () => out };
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill("SIGKILL");
  throw new Error(`TIM did not start with a setup link:\n${out}`);
}

test("from an empty database to an administrator who created a client and issued a token, without a restart", async ({ page }) => {
  test.setTimeout(240_000);
  const dir = mkdtempSync(path.join(tmpdir(), "tim-first-run-"));
  const tim = await startFreshTim(dir);
  try {
    const link = /(http:\/\/\S+\/setup\?code=[A-Za-z0-9_-]+)/.exec(tim.output())![1];
    expect(tim.output()).toContain("No administrator yet");

    // The home page tells a newcomer where the setup link is.
    await page.goto(BASE);
    await expect(page.getByTestId("step-sign-in")).toContainText("setup link");
    await expect(page.getByTestId("first-curl")).toContainText(`${BASE}/jwt/custom/generate`);

    // The link asks for a sign-in first, then offers the role to whoever signed in.
    await page.goto(link);
    await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
    await page.getByRole("link", { name: "Sign in with TARA" }).click();
    await page.locator('button[data-persona="EE60001019906"]').click();
    await page.waitForURL((url) => url.pathname === "/setup", { timeout: 30_000 });
    await page.getByRole("button", { name: "Make EE60001019906 the first administrator" }).click();
    await page.waitForURL((url) => url.pathname === "/admin/administrators");
    await expect(page.getByTestId("setup-welcome")).toBeVisible();
    await expect(page.getByTestId("administrator")).toHaveAttribute("data-subject", "EE60001019906");
    await page.screenshot({ path: "test-results/first-run-administrators.png", fullPage: true });

    // The link is spent.
    await page.goto(link);
    await expect(page.getByTestId("setup-done")).toBeVisible();

    await page.goto(`${BASE}/admin/clients`);
    const form = page.getByTestId("create-client");
    await form.getByLabel("Client id (optional)").fill("first-client");
    await form.getByLabel("Name").fill("My first client");
    await form.getByLabel("tokens:issue").check();
    await form.getByRole("button", { name: "Create client" }).click();
    const secret = (await page.getByTestId("client-secret-value").textContent())!.trim();

    const issued = await page.request.post(`${BASE}/jwt/custom/generate`, {
      headers: { authorization: `Basic ${Buffer.from(`first-client:${secret}`).toString("base64")}` },
      data: { JWTName: "FIRST", content: { sub: "first-user" }, expirationInMinutes: 5 },
    });
    expect(issued.status()).toBe(200);
    expect((await issued.json()).token).toMatch(/^ey/);

    await page.goto(`${BASE}/admin/audit?action=admin.`);
    await expect(page.getByRole("cell", { name: "admin.setup" }).first()).toBeVisible();
  } finally {
    const exited = new Promise((r) => tim.child.once("exit", r));
    tim.child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
