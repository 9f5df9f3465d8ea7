import { defineConfig } from "@playwright/test";

const port = Number(process.env.TIM_E2E_PORT ?? 3100);
export const baseURL = `http://localhost:${port}`;

/** Environment of the TIM instance the end-to-end tests drive (see scripts/test.ts). */
export const e2eEnv: Record<string, string> = {
  PORT: String(port),
  HOST: "127.0.0.1",
  NEXTAUTH_URL: baseURL,
  TIM_DATA_DIR: process.env.TIM_E2E_DATA_DIR ?? ".data/e2e",
  TIM_BOOTSTRAP_CLIENT_ID: "e2e-client",
  TIM_BOOTSTRAP_CLIENT_SECRET: "e2e-client-secret-0123456789",
  TIM_ADMIN_SUBJECTS: "EE38001085718",
  TIM_LOG_LEVEL: "warn",
  ...(process.env.TIM_E2E_DATABASE_URL ? { DATABASE_URL: process.env.TIM_E2E_DATABASE_URL } : {}),
};

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: {
    command: "node --import tsx scripts/start.ts",
    url: `${baseURL}/api/health`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: e2eEnv,
  },
});
