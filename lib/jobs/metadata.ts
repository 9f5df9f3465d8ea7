import { z } from "zod";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { runIsolating } from "@/lib/db/batcher";
import { TimError, isDataRefusal } from "@/lib/http/errors";
import { errorFields, log } from "@/lib/log/logger";
import { defineJob } from "@/lib/jobs/define";
import { events, type MetadataPersist } from "@/lib/jobs/events";

/**
 * Async metadata persistence (TIM_METADATA_WRITE_MODE=async): issuance hands
 * the row to the background function and returns the token once the event is
 * accepted (durable queue committed, or Inngest acknowledged); the function
 * inserts rows in batches, idempotently.
 */
const text = z.string().nullable().optional();
const time = z.coerce.date();

const common = {
  id: z.uuid().optional(),
  jwtUuid: z.uuid(),
  createdAt: time.optional(),
  claimKeys: z.string(),
  issuedAt: time,
  expiresAt: time,
  subject: text,
  jwtName: text,
  audience: text,
  issuer: text,
  supersedes: z.uuid().nullable().optional(),
  originalJwtUuid: z.uuid(),
  claimsJson: z.json(),
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
  tokenType: z.string().optional(),
  clientId: text,
};

const customRecord = z.object(common).strict();
const taraRecord = z
  .object({
    ...common,
    authMethod: text,
    levelOfAssurance: text,
    sessionId: text,
    oauthStateId: text,
    givenName: text,
    familyName: text,
  })
  .strict();

export type PendingMetadata =
  | { tokenType: "custom"; record: Prisma.CustomJwtMetadataCreateManyInput }
  | { tokenType: "tara"; record: Prisma.TaraJwtMetadataCreateManyInput };

export function parseRecord(tokenType: "custom" | "tara", record: unknown) {
  const parsed = (tokenType === "custom" ? customRecord : taraRecord).safeParse(record);
  if (!parsed.success) throw new TimError(500, "invalid_metadata", `The ${tokenType} metadata row is incomplete.`);
  return parsed.data;
}

/**
 * Inserts a batch of pending metadata rows in one transaction; rows whose
 * `jwt_uuid` is already stored are skipped (`ON CONFLICT (jwt_uuid) DO NOTHING`),
 * so a retried batch inserts each row once. A row the database refuses is
 * left out (and logged: its token is out already, and no retry can store it)
 * rather than keeping the rest of its batch from being stored (runIsolating).
 */
export async function insertPendingMetadata(batch: MetadataPersist[]): Promise<{ custom: number; tara: number; refused: number }> {
  const settled = await runIsolating(batch, async (part) => {
    const stored = await insertRows(part);
    return part.map((_, i) => (i === 0 ? stored : undefined));
  });
  const counts = { custom: 0, tara: 0, refused: 0 };
  settled.forEach((s, i) => {
    if (s.status === "fulfilled") {
      // a run's counts are reported by its first row (the others carry undefined)
      counts.custom += s.value?.custom ?? 0;
      counts.tara += s.value?.tara ?? 0;
    } else if (isDataRefusal(s.reason)) {
      counts.refused++;
      log.error("token metadata row refused by the database; its token has no metadata", {
        jwt_uuid: String(batch[i].record.jwtUuid),
        ...errorFields(s.reason),
      });
    } else {
      throw s.reason;
    }
  });
  return counts;
}

async function insertRows(batch: MetadataPersist[]): Promise<{ custom: number; tara: number }> {
  const custom = JSON.stringify(batch.filter((b) => b.token_type === "custom").map((b) => parseRecord("custom", b.record)));
  const tara = JSON.stringify(batch.filter((b) => b.token_type === "tara").map((b) => parseRecord("tara", b.record)));
  const client = await db();
  const [c, t] = await client.$transaction([
    client.$executeRaw`
      INSERT INTO custom.jwt_metadata (id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject, jwt_name,
             audience, issuer, supersedes, original_jwt_uuid, claims_json, token_hash, token_type, client_id)
      SELECT COALESCE(x."id", gen_random_uuid()), x."jwtUuid", COALESCE(x."createdAt", now()), x."claimKeys",
             x."issuedAt", x."expiresAt", x."subject", x."jwtName", x."audience", x."issuer", x."supersedes",
             x."originalJwtUuid", x."claimsJson", x."tokenHash", COALESCE(x."tokenType", 'custom_jwt'), x."clientId"
        FROM jsonb_to_recordset(${custom}::jsonb) AS x("id" uuid, "jwtUuid" uuid, "createdAt" timestamptz,
             "claimKeys" text, "issuedAt" timestamptz, "expiresAt" timestamptz, "subject" text, "jwtName" text,
             "audience" text, "issuer" text, "supersedes" uuid, "originalJwtUuid" uuid, "claimsJson" jsonb,
             "tokenHash" text, "tokenType" text, "clientId" text)
      ON CONFLICT (jwt_uuid) DO NOTHING`,
    client.$executeRaw`
      INSERT INTO tara.jwt_metadata (id, jwt_uuid, created_at, claim_keys, issued_at, expires_at, subject, jwt_name,
             audience, issuer, supersedes, original_jwt_uuid, claims_json, token_hash, token_type, client_id,
             auth_method, level_of_assurance, session_id, oauth_state_id, given_name, family_name)
      SELECT COALESCE(x."id", gen_random_uuid()), x."jwtUuid", COALESCE(x."createdAt", now()), x."claimKeys",
             x."issuedAt", x."expiresAt", x."subject", x."jwtName", x."audience", x."issuer", x."supersedes",
             x."originalJwtUuid", x."claimsJson", x."tokenHash", COALESCE(x."tokenType", 'tara_jwt'), x."clientId",
             x."authMethod", x."levelOfAssurance", x."sessionId", x."oauthStateId", x."givenName", x."familyName"
        FROM jsonb_to_recordset(${tara}::jsonb) AS x("id" uuid, "jwtUuid" uuid, "createdAt" timestamptz,
             "claimKeys" text, "issuedAt" timestamptz, "expiresAt" timestamptz, "subject" text, "jwtName" text,
             "audience" text, "issuer" text, "supersedes" uuid, "originalJwtUuid" uuid, "claimsJson" jsonb,
             "tokenHash" text, "tokenType" text, "clientId" text, "authMethod" text, "levelOfAssurance" text,
             "sessionId" text, "oauthStateId" text, "givenName" text, "familyName" text)
      ON CONFLICT (jwt_uuid) DO NOTHING`,
  ]);
  return { custom: c, tara: t };
}

/** Async metadata persistence (TIM_METADATA_WRITE_MODE=async): idempotent batched inserts. */
export const persistMetadataJob = defineJob({
  id: "persist-metadata",
  name: "Async metadata persistence",
  trigger: { event: events.metadataPersist },
  batch: { maxSize: 500, timeoutMs: 1_000 },
  retries: 10,
  handler: async ({ events: batch, step }) => {
    const rows = batch.map((e) => e.data);
    return step.run("insert-metadata", () => insertPendingMetadata(rows));
  },
});
