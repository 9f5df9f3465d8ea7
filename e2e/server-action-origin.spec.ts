import { expect, test } from "@playwright/test";

// Issue 12 §2: a server action (or a form post a console page would take as one) from another origin is a 403,
// not the 500 Next answers for its own CSRF refusal. Real HTTP against the started TIM.

test("a cross-origin server action is refused with 403 and TIM's error shape", async ({ request, baseURL }) => {
  const foreign = { origin: "https://attacker.example", "next-action": "0123456789abcdef0123456789abcdef01234567" };
  for (const path of ["/admin/clients", "/admin/revoke", "/me"]) {
    const res = await request.post(path, { headers: { ...foreign, "content-type": "text/plain;charset=UTF-8" }, data: "[]", maxRedirects: 0 });
    expect(res.status(), path).toBe(403);
    expect(await res.json()).toMatchObject({ error: "cross_origin_request" });
  }
  const form = await request.post("/admin/clients", {
    headers: { origin: "null" },
    multipart: { $ACTION_ID_0123456789abcdef0123456789abcdef01234567: "", name: "x" },
    maxRedirects: 0,
  });
  expect(form.status()).toBe(403);
  // The same request from TIM's own origin reaches Next (which does not know this action id): not refused here.
  const own = await request.post("/admin/clients", {
    headers: { origin: new URL(baseURL!).origin, "next-action": foreign["next-action"], "content-type": "text/plain;charset=UTF-8" },
    data: "[]",
    maxRedirects: 0,
  });
  expect(own.status()).not.toBe(403);
});
