import { db } from "@/lib/db/client";

/** The signing keys as operators watch them: the active key and its age, the next scheduled rotation (null: none scheduled). */
export type KeyState = {
  activeKid: string | null;
  alg: string | null;
  activeSince: Date | null;
  nextKid: string | null;
  nextRotationAt: Date | null;
};

/** Reads the key state from tim.signing_keys (what every instance follows), not this process's cache. */
export async function keyState(): Promise<KeyState> {
  const rows = await (await db()).signingKey.findMany({
    where: { OR: [{ status: "active" }, { status: "next", activatesAt: { not: null } }] },
    select: { kid: true, alg: true, status: true, createdAt: true, activatedAt: true, activatesAt: true },
    orderBy: { createdAt: "desc" },
  });
  const active = rows.find((r) => r.status === "active");
  const next = rows.filter((r) => r.status === "next").sort((a, b) => a.activatesAt!.getTime() - b.activatesAt!.getTime())[0];
  return {
    activeKid: active?.kid ?? null,
    alg: active?.alg ?? null,
    activeSince: active ? (active.activatedAt ?? active.createdAt) : null,
    nextKid: next?.kid ?? null,
    nextRotationAt: next?.activatesAt ?? null,
  };
}
