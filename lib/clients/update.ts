import { z } from "zod";
import { storableString } from "@/lib/db/storable";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";
import { notFound } from "@/lib/http/errors";
import { forgetClient } from "@/lib/clients/cache";
import { apiKeyFor, hashClientSecret, newClientSecret } from "@/lib/clients/secret";
import { scopeSchema } from "@/lib/clients/scopes";
import { rateLimitSchema, type ClientChangeHook } from "@/lib/clients/create";
import { activeTokenLimitSchema } from "@/lib/tokens/token-limit";

export const updateClientSchema = z.object({
  name: storableString.trim().min(1).max(200).optional(),
  scopes: z.array(scopeSchema).min(1).optional(),
  allowedAudiences: z.array(storableString.min(1).max(500)).max(100).optional(),
  maxLifetimeMinutes: z.number().int().positive().max(525_600).optional(),
  rateLimitPerMinute: rateLimitSchema.optional(),
  activeTokenLimit: activeTokenLimitSchema.optional(),
  disabled: z.boolean().optional(),
});
export type UpdateClientInput = z.input<typeof updateClientSchema>;

/** Changes a client; bumping updated_at invalidates every cached verification of it. */
export async function updateApiClient(clientId: string, input: UpdateClientInput, within?: ClientChangeHook): Promise<void> {
  const { disabled, ...fields } = updateClientSchema.parse(input);
  await changeClient(clientId, { ...fields, ...(disabled === undefined ? {} : { disabledAt: disabled ? new Date() : null }) }, within);
}

/** Updates one client (404 when unknown) and runs the hook in the same transaction; forgets its cached verification. */
async function changeClient(clientId: string, data: Prisma.ApiClientUpdateManyMutationInput, within?: ClientChangeHook): Promise<void> {
  try {
    await (await db()).$transaction(async (tx) => {
      const { count } = await tx.apiClient.updateMany({ where: { clientId }, data: { ...data, updatedAt: new Date() } });
      if (count === 0) throw notFound(`No API client ${clientId}.`);
      await within?.(tx, clientId);
    });
  } finally {
    forgetClient(clientId);
  }
}

/** Disables a client: its credentials stop working at once in this process, within seconds elsewhere. */
export function disableApiClient(clientId: string): Promise<void> {
  return updateApiClient(clientId, { disabled: true });
}

/** Replaces a client's secret; the new one is returned once. */
export async function rotateClientSecret(clientId: string, within?: ClientChangeHook): Promise<{ clientSecret: string; apiKey: string }> {
  const clientSecret = newClientSecret();
  await changeClient(clientId, { secretHash: await hashClientSecret(clientSecret) }, within);
  return { clientSecret, apiKey: apiKeyFor(clientId, clientSecret) };
}
