import { afterEach, expect, test } from "vitest";
import { roleFor } from "@/lib/auth/roles";
import { resetConfig } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";
import { checkAppRedirect } from "@/lib/tara/redirects";

function withEnv(env: Record<string, string>) {
  Object.assign(process.env, env);
  resetConfig();
}
afterEach(() => {
  delete process.env.TIM_ALLOWED_REDIRECTS;
  delete process.env.TIM_ADMIN_SUBJECTS;
  resetConfig();
});

const refused = (value: string) => {
  try {
    checkAppRedirect(value);
  } catch (err) {
    return err instanceof TimError && err.status === 400 && err.code === "invalid_redirect_uri";
  }
  return false;
};

test("site paths are always allowed; the default is /me", () => {
  expect(checkAppRedirect(undefined)).toBe("/me");
  expect(checkAppRedirect("")).toBe("/me");
  expect(checkAppRedirect("/admin?x=1#y")).toBe("/admin?x=1#y");
  for (const bad of ["//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "me", "/\nx"]) {
    expect(refused(bad)).toBe(true);
  }
});

test("absolute URLs need an entry in TIM_ALLOWED_REDIRECTS: an origin, or a path and below", () => {
  withEnv({ TIM_ALLOWED_REDIRECTS: "https://app.example, https://portal.example/tim" });
  expect(checkAppRedirect("https://app.example/anything?q=1")).toBe("https://app.example/anything?q=1");
  expect(checkAppRedirect("https://portal.example/tim")).toBe("https://portal.example/tim");
  expect(checkAppRedirect("https://portal.example/tim/done")).toBe("https://portal.example/tim/done");
  expect(refused("https://portal.example/timeline")).toBe(true);
  expect(refused("https://portal.example/")).toBe(true);
  expect(refused("http://app.example/")).toBe(true);
  expect(refused("https://app.example.evil.example/")).toBe(true);
  expect(refused("https://user:pw@app.example/")).toBe(true);
});

test("administrators include the subjects listed in TIM_ADMIN_SUBJECTS", async () => {
  expect(await roleFor("EE38001085718")).toBe("user");
  withEnv({ TIM_ADMIN_SUBJECTS: "EE38001085718, ee60001019906" });
  expect(await roleFor("EE38001085718")).toBe("admin");
  expect(await roleFor("EE60001019906")).toBe("admin");
  expect(await roleFor("EE60001017716")).toBe("user");
  expect(await roleFor("38001085718")).toBe("user");
});
