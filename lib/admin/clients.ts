import { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { createApiClient, createClientSchema, type CreatedClient } from "@/lib/clients/create";
import { SCOPES } from "@/lib/clients/scopes";
import { rotateClientSecret, updateApiClient, updateClientSchema } from "@/lib/clients/update";
import { db } from "@/lib/db/client";
import { badRequest } from "@/lib/http/errors";
import { describeZodError } from "@/lib/http/handler";

export type ApiClientView = {
  clientId: string;
  name: string;
  scopes: string[];
  allowedAudiences: string[];
  maxLifetimeMinutes: number;
  createdAt: Date;
  updatedAt: Date;
  disabledAt: Date | null;
  lastUsedAt: Date | null;
};

export async function listApiClients(): Promise<ApiClientView[]> {
  return (await db()).apiClient.findMany({
    orderBy: { createdAt: "desc" },
    select: {
      clientId: true, name: true, scopes: true, allowedAudiences: true, maxLifetimeMinutes: true,
      createdAt: true, updatedAt: true, disabledAt: true, lastUsedAt: true,
    },
  });
}

/** Console form fields → client settings: scopes as checkboxes, audiences one per line or comma-separated. */
export function clientFormFields(form: FormData) {
  const audiences = String(form.get("allowedAudiences") ?? "")
    .split(/[\s,]+/)
    .filter(Boolean);
  const lifetime = String(form.get("maxLifetimeMinutes") ?? "").trim();
  return {
    name: String(form.get("name") ?? ""),
    scopes: form.getAll("scopes").map(String),
    allowedAudiences: audiences,
    maxLifetimeMinutes: lifetime === "" ? undefined : Number(lifetime),
  };
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  return parsed.data;
}

// lib/clients writes each change in its own transaction, so the audit event
// follows in the next one (see the console's report to the lead).
async function audited(actor: AuditActor, action: string, target: Record<string, unknown>, requestId?: string | null) {
  await (await db()).$transaction((tx) =>
    recordAudit(tx, { actor, action, target: JSON.parse(JSON.stringify(target)) as Record<string, string>, requestId }),
  );
}

/** Creates a client; the secret is in the result only (shown once). */
export async function createClientFromConsole(
  input: { clientId?: string; name: string; scopes: string[]; allowedAudiences: string[]; maxLifetimeMinutes?: number },
  actor: AuditActor,
  requestId?: string | null,
): Promise<CreatedClient> {
  const data = parse(createClientSchema, { ...input, clientId: input.clientId || undefined });
  const created = await createApiClient(data);
  await audited(actor, "client.create", {
    client_id: created.clientId,
    scopes: data.scopes,
    allowed_audiences: data.allowedAudiences,
    max_lifetime_minutes: data.maxLifetimeMinutes,
  }, requestId);
  return created;
}

export async function updateClientFromConsole(
  clientId: string,
  input: { name?: string; scopes?: string[]; allowedAudiences?: string[]; maxLifetimeMinutes?: number; disabled?: boolean },
  actor: AuditActor,
  requestId?: string | null,
): Promise<void> {
  const data = parse(updateClientSchema, input);
  await updateApiClient(clientId, data);
  const action = data.disabled === true ? "client.disable" : data.disabled === false ? "client.enable" : "client.update";
  await audited(actor, action, { client_id: clientId, ...data }, requestId);
}

export async function rotateClientSecretFromConsole(clientId: string, actor: AuditActor, requestId?: string | null) {
  const rotated = await rotateClientSecret(clientId);
  await audited(actor, "client.rotate_secret", { client_id: clientId }, requestId);
  return rotated;
}

export const ALL_SCOPES = SCOPES;
