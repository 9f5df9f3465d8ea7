import { z } from "zod";
import { db } from "@/lib/db/client";
import { notFound } from "@/lib/http/errors";
import { forgetClient } from "@/lib/clients/cache";
import { apiKeyFor, hashClientSecret, newClientSecret } from "@/lib/clients/secret";
import { scopeSchema } from "@/lib/clients/scopes";

export const updateClientSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  scopes: z.array(scopeSchema).min(1).optional(),
  allowedAudiences: z.array(z.string().min(1).max(500)).max(100).optional(),
  maxLifetimeMinutes: z.number().int().positive().max(525_600).optional(),
  disabled: z.boolean().optional(),
});
export type UpdateClientInput = z.input<typeof updateClientSchema>;

/** Changes a client; bumping updated_at invalidates every cached verification of it. */
export async function updateApiClient(clientId: string, input: UpdateClientInput): Promise<void> {
  const { disabled, ...fields } = updateClientSchema.parse(input);
  const prisma = await db();
  const { count } = await prisma.apiClient.updateMany({
    where: { clientId },
    data: {
      ...fields,
      ...(disabled === undefined ? {} : { disabledAt: disabled ? new Date() : null }),
      updatedAt: new Date(),
    },
  });
  forgetClient(clientId);
  if (count === 0) throw notFound(`No API client ${clientId}.`);
}

/** Disables a client: its credentials stop working at once in this process, within seconds elsewhere. */
export function disableApiClient(clientId: string): Promise<void> {
  return updateApiClient(clientId, { disabled: true });
}

/** Replaces a client's secret; the new one is returned once. */
export async function rotateClientSecret(clientId: string): Promise<{ clientSecret: string; apiKey: string }> {
  const clientSecret = newClientSecret();
  const prisma = await db();
  const { count } = await prisma.apiClient.updateMany({
    where: { clientId },
    data: { secretHash: await hashClientSecret(clientSecret), updatedAt: new Date() },
  });
  forgetClient(clientId);
  if (count === 0) throw notFound(`No API client ${clientId}.`);
  return { clientSecret, apiKey: apiKeyFor(clientId, clientSecret) };
}
