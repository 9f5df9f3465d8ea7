import { expect, test } from "vitest";
import { errorResponse } from "@/lib/http/handler";
import { Prisma } from "@/lib/generated/prisma/client";

const prismaError = (code: string, message: string) => new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: "test" });

test("an overloaded database (pool wait, a transaction past its time limit) is a 503 to retry, not a 500", () => {
  for (const err of [
    prismaError("P2024", "Timed out fetching a new connection from the connection pool."),
    prismaError("P2028", "Transaction already closed: A commit cannot be executed on an expired transaction."),
  ]) {
    const reply = errorResponse(err, "req-1");
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.text)).toMatchObject({ error: "service_unavailable" });
  }
});

test("anything unknown stays a 500 without details", () => {
  const reply = errorResponse(new Error("boom at /secret/path"), "req-2");
  expect(reply.status).toBe(500);
  expect(reply.text).not.toContain("boom");
});
