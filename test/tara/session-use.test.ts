import { expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { listTaraSessions } from "@/lib/tara/session";
import { taraTokenFixture } from "@/test/tokens/helpers";

// Issue 17 §1 "last use": /me shows when each session was last used and how often, over every version of it.

test("a session's use is its tokens' usage counters summed over its chain; an unused one has none", async () => {
  const first = await taraTokenFixture({ allowlist: "live" });
  const prisma = await db();
  const row = await prisma.taraJwtMetadata.findUniqueOrThrow({ where: { jwtUuid: first.jti } });
  // An extension: a second version of the same session, superseding the first.
  const second = crypto.randomUUID();
  await prisma.taraJwtMetadata.create({
    data: {
      ...Object.fromEntries(
        Object.entries(row).filter(([k]) => !["id", "createdAt", "jwtUuid", "supersedes", "tokenHash", "claimsJson", "clientAddress"].includes(k)),
      ),
      jwtUuid: second,
      supersedes: row.id,
      issuedAt: new Date(row.issuedAt.getTime() + 1000),
      tokenHash: `${row.tokenHash!.slice(0, -2)}${row.tokenHash!.endsWith("00") ? "11" : "00"}`,
      claimsJson: row.claimsJson ?? {},
    } as never,
  });
  const earlier = new Date(Date.now() - 60_000);
  const later = new Date(Date.now() - 5_000);
  await prisma.taraTokenUsage.createMany({
    data: [
      { jwtUuid: first.jti, useCount: 3, lastUsedAt: earlier },
      { jwtUuid: second, useCount: 2, lastUsedAt: later },
    ],
  });
  const [session] = await listTaraSessions(first.sub);
  expect(session).toMatchObject({ sessionId: row.sessionId, jwtUuid: second, useCount: 5, lastUsedAt: later });

  const unused = await taraTokenFixture({ allowlist: "live" });
  expect((await listTaraSessions(unused.sub))[0]).toMatchObject({ useCount: 0, lastUsedAt: null });
});
