import { afterAll, beforeAll, expect, test } from "vitest";
import { db } from "@/lib/db/client";
import { TARA_PERSONAS } from "@/tara-stand-in/personas";
import { refuseRows } from "@/test/support/refuse";
import { finishJsonLogin, startJsonLogin, startTaraWorld, taraCallbackUrl, type TaraWorld } from "@/test/tara/support";

// Issue 12 §1 for TARA issuance: a login whose metadata row the database refuses fails alone with a 400
// (no token, no row, no allowlist entry); concurrent logins of other people complete.

let world: TaraWorld;
beforeAll(async () => {
  world = await startTaraWorld();
});
afterAll(async () => world.close());

test("concurrent TARA logins: refused rows answer 400 and write nothing, every other login completes", async () => {
  const logins = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      // The identities TARA offers at TIM's default level (substantial or above).
      const offered = TARA_PERSONAS.filter((p) => p.acr !== "low");
      const persona = offered[i % offered.length];
      const started = await startJsonLogin(world);
      return { persona, started, state: started.state, refused: i % 4 === 1, callback: await taraCallbackUrl(world, started.authorizationUrl, persona.id) };
    }),
  );
  const refusedStates = logins.filter((l) => l.refused).map((l) => `'${l.state.replace(/'/g, "''")}'`);
  const restore = await refuseRows("tara.jwt_metadata", `NEW.oauth_state_id IN (${refusedStates.join(",")})`);
  try {
    const answers = await Promise.all(
      logins.map(async (l) => {
        const res = await finishJsonLogin(world, l.started, l.callback);
        return { status: res.status, body: (await res.json()) as Record<string, string> };
      }),
    );
    const prisma = await db();
    for (const [i, l] of logins.entries()) {
      const rows = await prisma.taraJwtMetadata.findMany({ where: { oauthStateId: l.state } });
      if (l.refused) {
        expect(answers[i].status).toBe(400);
        expect(answers[i].body).toMatchObject({ error: "invalid_request" });
        expect(answers[i].body.token).toBeUndefined();
        expect(rows).toHaveLength(0);
      } else {
        expect(answers[i].status).toBe(200);
        expect(typeof answers[i].body.token).toBe("string");
        expect(rows).toHaveLength(1);
        expect(rows[0].subject).toBe(l.persona.sub);
        expect(await prisma.taraAllowlist.count({ where: { jwtUuid: rows[0].jwtUuid } })).toBe(1);
      }
    }
  } finally {
    await restore();
  }
});
