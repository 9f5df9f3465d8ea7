import { expect, test } from "vitest";
import { actionLabel, describeOutcome, describeTarget } from "@/lib/audit/describe";

// Issue 19 §2: the audit log reads as words — targets and counts, and whether anything changed.

test("targets are labelled items: tokens, clients, filters, before → after", () => {
  expect(describeTarget({ kind: "custom", jwt_uuids: ["a", "b"] })).toEqual([
    { label: "Token type", kind: "text", values: ["custom JWT"] },
    { label: "Tokens", kind: "token", values: ["a", "b"] },
  ]);
  expect(describeTarget({ query: { jwt_name: "x", status: "active" } })).toEqual([
    { label: "Filters", kind: "text", values: ["jwt name = x", "status = active"] },
  ]);
  expect(describeTarget({ query: {} })).toEqual([{ label: "Filters", kind: "text", values: ["none (every token)"] }]);
  expect(describeTarget({ before: { customDays: 30, taraDays: 90 }, after: { customDays: 60, taraDays: 90 } })).toEqual([
    { label: "Changed", kind: "text", values: ["custom days: 30 → 60", "tara days: 90 → 90"] },
  ]);
  expect(describeTarget({ client_id: "svc", maxLifetimeMinutes: 30 })).toEqual([
    { label: "API client", kind: "client", values: ["svc"] },
    { label: "Max lifetime minutes", kind: "text", values: ["30"] },
  ]);
  expect(describeTarget(null)).toEqual([]);
  expect(describeTarget([1, 2])).toEqual([]);
});

test("outcomes: done, no change (already revoked), partly done, failed", () => {
  expect(describeOutcome({ revoked: 2, already_revoked: 1, not_found: 0, invalid: 0 })).toEqual({
    kind: "done",
    text: "2 revoked · 1 already revoked · 0 not found · 0 invalid",
  });
  expect(describeOutcome({ revoked: 0, already_revoked: 1, not_found: 0, invalid: 0 })).toEqual({ kind: "no_change", text: "No change: 1 already revoked" });
  expect(describeOutcome({ revoked: 3, failed: 1 })).toMatchObject({ kind: "partial" });
  expect(describeOutcome({ revoked: 0, failed: 2 })).toMatchObject({ kind: "failed" });
  expect(describeOutcome({ rows: 12_000 })).toEqual({ kind: "done", text: "12,000 rows" });
  expect(describeOutcome({})).toEqual({ kind: "done", text: "Done" });
});

test("actions have labels; an unknown one keeps its name", () => {
  expect(actionLabel("tokens.revoke")).toBe("Revoked tokens");
  expect(actionLabel("web.sign_in")).toBe("Signed in");
  expect(actionLabel("something.new")).toBe("something.new");
});
