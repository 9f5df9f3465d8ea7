import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { ERROR_CODES, errorCodeTable } from "@/lib/http/error-codes";
import { readmeWithErrorCodes } from "@/scripts/generate-docs";

test("the README's error-code table is the registry's (else: npm run docs:errors)", () => {
  const readme = readFileSync("README.md", "utf8");
  expect(readme).toBe(readmeWithErrorCodes(readme));
  for (const code of Object.keys(ERROR_CODES)) expect(errorCodeTable()).toContain(`| \`${code}\` |`);
});

test("codes written into answers by hand, not through TimError, are registered too", () => {
  const sources = ["server/main.ts", "lib/tokens/revoke-bulk.ts"];
  for (const file of sources) {
    const codes = [...readFileSync(file, "utf8").matchAll(/error: "([a-z_]+)"/g)].map((m) => m[1]);
    expect(codes.length, file).toBeGreaterThan(0);
    for (const code of codes) expect(Object.keys(ERROR_CODES), file).toContain(code);
  }
});
