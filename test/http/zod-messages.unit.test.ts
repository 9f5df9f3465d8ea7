import { z } from "zod";
import { expect, test } from "vitest";
import { TimError } from "@/lib/http/errors";
import { describeZodError, invalidInput } from "@/lib/http/zod-messages";

const said = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  if (r.success) throw new Error("expected a refusal");
  return describeZodError(r.error);
};

test("validation messages are words, one per field, never zod's internals (issue 19 §2)", () => {
  const page = z.object({ limit: z.coerce.number().int().min(1).max(500) });
  // the example the issue quotes: "limit: Too big: expected int to be <=9007199254740991"
  expect(said(page, { limit: "1e30" })).toBe("limit: must be at most 500");
  expect(said(page, { limit: "0" })).toBe("limit: must be at least 1");
  expect(said(z.object({ n: z.int() }), { n: 1e300 })).toBe("n: is too large a number");
  expect(said(z.object({ name: z.string().max(3) }), { name: "abcd" })).toBe("name: must be at most 3 characters long");
  expect(said(z.object({ id: z.uuid() }), { id: "nope" })).toBe("id: must be a UUID");
  expect(said(z.object({ kind: z.enum(["custom", "tara"]) }), { kind: "x" })).toBe('kind: must be one of "custom", "tara"');
  expect(said(z.object({ on: z.boolean() }), { on: "yes" })).toBe("on: must be true or false");
  expect(said(z.object({ sub: z.string() }), {})).toBe("sub: is required");
  expect(said(z.object({ tags: z.array(z.string()).min(2) }), { tags: ["a"] })).toBe("tags: must have at least 2 items");
  expect(said(z.object({}).strict(), { extra: 1 })).toBe('unknown field "extra"');
  // a schema's own message wins
  expect(said(z.object({ days: z.literal([7, 30], { error: "days is 7 or 30" }) }), { days: 5 })).toBe("days: days is 7 or 30");
});

test("invalid input is a 400 naming every field, with one message per field for forms to show beside them", () => {
  const schema = z.object({ name: z.string().min(1), limits: z.object({ perMinute: z.number().max(100_000_000) }), tags: z.array(z.string().max(2)) });
  const r = schema.safeParse({ name: "", limits: { perMinute: 2e8 }, tags: ["ok", "long"] });
  if (r.success) throw new Error("expected a refusal");
  const err = invalidInput(r.error);
  expect(err).toBeInstanceOf(TimError);
  expect(err.status).toBe(400);
  expect(err.message).toBe("name: must be at least 1 character long; limits.perMinute: must be at most 100,000,000; tags.1: must be at most 2 characters long");
  expect(err.fields).toEqual({
    name: "must be at least 1 character long",
    "limits.perMinute": "must be at most 100,000,000",
    "tags.1": "must be at most 2 characters long",
  });
  // The per-field messages stay out of the JSON body: its shape is {error, message}.
  expect(err.body).toEqual({});
});
