import type { z } from "zod";
import type { AuditActor } from "@/lib/audit/actors";
import { recordAudit } from "@/lib/audit/record";
import { createApiClient, createClientSchema, type ClientChangeHook, type CreatedClient } from "@/lib/clients/create";
import { SCOPES } from "@/lib/clients/scopes";
import { rotateClientSecret, updateApiClient, updateClientSchema } from "@/lib/clients/update";
import { config } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { invalidInput } from "@/lib/http/zod-messages";

export type ApiClientView = {
  clientId: string;
  name: string;
  scopes: string[];
  allowedAudiences: string[];
  maxLifetimeMinutes: number;
  rateLimitPerMinute: number | null;
  activeTokenLimit: number | null;
  createdAt: Date;
  updatedAt: Date;
  disabledAt: Date | null;
  lastUsedAt: Date | null;
};

export async function listApiClients(): Promise<ApiClientView[]> {
  return (await db()).apiClient.findMany({
    orderBy: { createdAt: "desc" },
    select: {
      clientId: true,
      name: true,
      scopes: true,
      allowedAudiences: true,
      maxLifetimeMinutes: true,
      rateLimitPerMinute: true,
      activeTokenLimit: true,
      createdAt: true,
      updatedAt: true,
      disabledAt: true,
      lastUsedAt: true,
    },
  });
}

/** Console form fields → client settings: scopes as checkboxes, audiences one per line or comma-separated. */
export function clientFormFields(form: FormData) {
  const audiences = String(form.get("allowedAudiences") ?? "")
    .split(/[\s,]+/)
    .filter(Boolean);
  const lifetime = String(form.get("maxLifetimeMinutes") ?? "").trim();
  // Empty: the default limit (the form always shows the client's own setting).
  const rateLimit = String(form.get("rateLimitPerMinute") ?? "").trim();
  // Empty: no limit on active tokens per subject.
  const tokenLimit = String(form.get("activeTokenLimit") ?? "").trim();
  return {
    name: String(form.get("name") ?? ""),
    scopes: form.getAll("scopes").map(String),
    allowedAudiences: audiences,
    maxLifetimeMinutes: lifetime === "" ? undefined : Number(lifetime),
    rateLimitPerMinute: rateLimit === "" ? null : Number(rateLimit),
    activeTokenLimit: tokenLimit === "" ? null : Number(tokenLimit),
  };
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidInput(parsed.error);
  return parsed.data;
}

/** The client change's audit event, written inside its transaction (lib/clients runs the hook there). */
function audited(actor: AuditActor, action: string, details: Record<string, unknown>, requestId?: string | null): ClientChangeHook {
  return (tx, clientId) =>
    recordAudit(tx, { actor, action, target: JSON.parse(JSON.stringify({ client_id: clientId, ...details })) as Record<string, string>, requestId });
}

/** Creates a client; the secret is in the result only (shown once). */
export async function createClientFromConsole(
  input: {
    clientId?: string;
    name: string;
    scopes: string[];
    allowedAudiences: string[];
    maxLifetimeMinutes?: number;
    rateLimitPerMinute?: number | null;
    activeTokenLimit?: number | null;
  },
  actor: AuditActor,
  requestId?: string | null,
): Promise<CreatedClient> {
  const data = parse(createClientSchema, { ...input, clientId: input.clientId || undefined });
  return createApiClient(
    data,
    audited(
      actor,
      "client.create",
      {
        scopes: data.scopes,
        allowed_audiences: data.allowedAudiences,
        max_lifetime_minutes: data.maxLifetimeMinutes,
        rate_limit_per_minute: data.rateLimitPerMinute,
        active_token_limit: data.activeTokenLimit,
      },
      requestId,
    ),
  );
}

export async function updateClientFromConsole(
  clientId: string,
  input: {
    name?: string;
    scopes?: string[];
    allowedAudiences?: string[];
    maxLifetimeMinutes?: number;
    rateLimitPerMinute?: number | null;
    activeTokenLimit?: number | null;
    disabled?: boolean;
  },
  actor: AuditActor,
  requestId?: string | null,
): Promise<void> {
  const data = parse(updateClientSchema, input);
  const action = data.disabled === true ? "client.disable" : data.disabled === false ? "client.enable" : "client.update";
  await updateApiClient(clientId, data, audited(actor, action, data, requestId));
}

export async function rotateClientSecretFromConsole(clientId: string, actor: AuditActor, requestId?: string | null) {
  return rotateClientSecret(clientId, audited(actor, "client.rotate_secret", {}, requestId));
}

export const ALL_SCOPES = SCOPES;

/** The request limit of a client whose own setting is empty. */
export const defaultClientRateLimit = () => config().TIM_CLIENT_RATE_LIMIT_PER_MINUTE;
