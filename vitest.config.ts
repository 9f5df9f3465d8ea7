import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/setup.ts"],
    pool: "forks",
    // Generous: CI machines are small and shared; a test that needs this long on an idle one is too slow anyway.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: "test" },
  },
});
