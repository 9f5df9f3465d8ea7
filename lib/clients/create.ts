import { z } from "zod";
import { storableString } from "@/lib/db/storable";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { TimError } from "@/lib/http/errors";
import { apiKeyFor, hashClientSecret, newClientSecret } from "@/lib/clients/secret";
import { scopeSchema } from "@/lib/clients/scopes";

export const clientIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._~-]+$/, "client_id may hold letters, digits and . _ ~ - only");

/** Token API requests per minute across instances; null: TIM_CLIENT_RATE_LIMIT_PER_MINUTE. */
export const rateLimitSchema = z.number().int().min(1).max(100_000_000).nullable();

export const createClientSchema = z.object({
  clientId: clientIdSchema.optional(),
  name: storableString.trim().min(1).max(200),
  scopes: z.array(scopeSchema).min(1, "choose at least one scope"),
  allowedAudiences: z.array(storableString.min(1).max(500)).max(100).default([]),
  maxLifetimeMinutes: z.number().int().positive().max(525_600).default(1440),
  rateLimitPerMinute: rateLimitSchema.default(null),
});
export type CreateClientInput = z.input<typeof createClientSchema>;

export type CreatedClient = { clientId: string; clientSecret: string; apiKey: string };

/** Runs in a client change's own transaction, e.g. to write its audit event: if it fails, the change is undone. */
export type ClientChangeHook = (tx: Prisma.TransactionClient, clientId: string) => Promise<unknown>;

/** Creates an API client; the secret (and API key) are returned here once and stored only as an argon2 hash. */
export async function createApiClient(input: CreateClientInput, within?: ClientChangeHook): Promise<CreatedClient> {
  const data = createClientSchema.parse(input);
  const clientId = data.clientId ?? `tim-${newClientSecret().slice(0, 16)}`;
  const clientSecret = newClientSecret();
  // Hashed before the transaction: argon2 is slow and needs no row lock.
  const secretHash = await hashClientSecret(clientSecret);
  await (await db()).$transaction(async (tx) => {
    const existing = await tx.apiClient.findUnique({ where: { clientId }, select: { clientId: true } });
    if (existing) throw new TimError("client_exists", `An API client ${clientId} exists already.`);
    await tx.apiClient.create({
      data: {
        clientId,
        name: data.name,
        secretHash,
        scopes: data.scopes,
        allowedAudiences: data.allowedAudiences,
        maxLifetimeMinutes: data.maxLifetimeMinutes,
        rateLimitPerMinute: data.rateLimitPerMinute,
      },
    });
    await within?.(tx, clientId);
  });
  return { clientId, clientSecret, apiKey: apiKeyFor(clientId, clientSecret) };
}
