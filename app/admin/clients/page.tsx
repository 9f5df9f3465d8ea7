import type { Metadata } from "next";
import { ActionForm } from "@/app/admin/_components/action-form";
import { FieldGroup } from "@/app/admin/_components/field";
import { Badge, Empty, Field, PageTitle, Section, When, buttonClass, dangerButtonClass, inputClass, secondaryButtonClass } from "@/app/admin/_components/ui";
import { createClientAction, rotateSecretAction, setClientDisabledAction, setTaraSessionLimitAction, updateClientAction } from "@/app/admin/clients/actions";
import { getTaraSessionLimit } from "@/lib/tara/session-limit";
import { ALL_SCOPES, defaultClientRateLimit, listApiClients, type ApiClientView } from "@/lib/admin/clients";
import { SCOPE_DESCRIPTIONS } from "@/lib/clients/scopes";
import { requireUser } from "@/lib/auth/current-user";
import { MAX_ACTIVE_TOKEN_LIMIT, TOKEN_LIMIT_REASON } from "@/lib/tokens/token-limit";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "API clients" };

function SettingsFields({ prefix, client }: { prefix: string; client?: ApiClientView }) {
  const defaultRateLimit = defaultClientRateLimit();
  return (
    <>
      <Field label="Name" htmlFor={`${prefix}-name`}>
        <input id={`${prefix}-name`} name="name" required={!client} defaultValue={client?.name} maxLength={200} className={inputClass} />
      </Field>
      <FieldGroup legend="Scopes" name="scopes" id={`${prefix}-scopes`}>
        <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
          {ALL_SCOPES.map((s) => (
            <label key={s} className="flex items-center gap-1 text-sm" title={SCOPE_DESCRIPTIONS[s]}>
              {/* Least privilege: a new client starts with no scope. */}
              <input type="checkbox" name="scopes" value={s} defaultChecked={client?.scopes.includes(s) ?? false} /> {s}
            </label>
          ))}
        </div>
      </FieldGroup>
      <Field label="Allowed audiences" htmlFor={`${prefix}-aud`} hint="One per line or comma-separated; empty: any audience.">
        <textarea id={`${prefix}-aud`} name="allowedAudiences" rows={2} defaultValue={client?.allowedAudiences.join("\n")} className={inputClass} />
      </Field>
      <Field label="Maximum token lifetime (minutes)" htmlFor={`${prefix}-life`}>
        <input
          id={`${prefix}-life`}
          name="maxLifetimeMinutes"
          type="number"
          min={1}
          max={525600}
          defaultValue={client?.maxLifetimeMinutes ?? 1440}
          className={inputClass}
        />
      </Field>
      <Field label="Rate limit (requests per minute)" htmlFor={`${prefix}-rate`} hint={`Across all instances; empty: the default (${defaultRateLimit}).`}>
        <input id={`${prefix}-rate`} name="rateLimitPerMinute" type="number" min={1} defaultValue={client?.rateLimitPerMinute ?? ""} className={inputClass} />
      </Field>
      <Field
        label="Active tokens per subject"
        htmlFor={`${prefix}-limit`}
        hint={`Empty: no limit. Otherwise issuing one more token for a subject revokes that subject's oldest active tokens from this client (reason ${TOKEN_LIMIT_REASON}), at most ${MAX_ACTIVE_TOKEN_LIMIT}.`}
      >
        <input
          id={`${prefix}-limit`}
          name="activeTokenLimit"
          type="number"
          min={1}
          max={MAX_ACTIVE_TOKEN_LIMIT}
          defaultValue={client?.activeTokenLimit ?? ""}
          className={inputClass}
        />
      </Field>
    </>
  );
}

export default async function ClientsPage() {
  const user = await requireUser("/admin/clients");
  if (user.role !== "admin") return null;
  const [clients, taraLimit] = await Promise.all([listApiClients(), getTaraSessionLimit()]);
  return (
    <>
      <PageTitle title="API clients">Services that call the token and reporting APIs. Secrets are stored as argon2 hashes and shown once.</PageTitle>

      <Section title="Create a client" id="create-client">
        <ActionForm
          action={createClientAction}
          submitLabel="Create client"
          submitClassName={buttonClass}
          testId="create-client"
          className="grid max-w-2xl gap-3"
        >
          <Field label="Client id (optional)" htmlFor="new-id" hint="Letters, digits and . _ ~ -; generated when empty.">
            <input id="new-id" name="clientId" maxLength={200} pattern="[A-Za-z0-9._~\-]*" className={inputClass} autoComplete="off" />
          </Field>
          <SettingsFields prefix="new" />
        </ActionForm>
      </Section>

      <Section title="TARA sessions per person" id="tara-session-limit">
        <p className="mb-3 text-sm text-slate-700" data-testid="tara-session-limit">
          Now: {taraLimit.limit === null ? "no limit" : `at most ${taraLimit.limit} live sessions per person`} (
          {taraLimit.source === "console" ? "console setting" : taraLimit.source === "environment" ? "TIM_TARA_SESSION_LIMIT" : "default"}). A login past the
          limit ends the person&apos;s oldest sessions (reason {TOKEN_LIMIT_REASON}).
        </p>
        <div className="flex flex-wrap items-end gap-4">
          <ActionForm
            action={setTaraSessionLimitAction}
            submitLabel="Save limit"
            submitClassName={buttonClass}
            testId="tara-limit-form"
            className="flex flex-wrap items-end gap-3"
          >
            <Field label="Sessions per person" htmlFor="tara-limit" hint={`Empty: no limit; at most ${MAX_ACTIVE_TOKEN_LIMIT}.`}>
              <input
                id="tara-limit"
                name="limit"
                type="number"
                min={1}
                max={MAX_ACTIVE_TOKEN_LIMIT}
                defaultValue={taraLimit.limit ?? ""}
                className={inputClass}
              />
            </Field>
          </ActionForm>
          {taraLimit.source === "console" ? (
            <ActionForm action={setTaraSessionLimitAction} submitLabel="Use the environment's setting" submitClassName={secondaryButtonClass}>
              <input type="hidden" name="reset" value="yes" />
            </ActionForm>
          ) : null}
        </div>
      </Section>

      <Section title="Clients" id="clients">
        {clients.length === 0 ? (
          <Empty>No API client yet.</Empty>
        ) : (
          <ul className="space-y-4" data-testid="client-list">
            {clients.map((c) => (
              <li key={c.clientId} className="rounded border border-slate-200 p-4" data-testid={`client-${c.clientId}`}>
                <div className="flex flex-wrap items-center gap-2">
                  <strong className="break-all font-mono text-sm">{c.clientId}</strong>
                  <span className="text-sm text-slate-600">{c.name}</span>
                  <Badge value={c.disabledAt ? "disabled" : "active"} />
                </div>
                <p className="mt-1 text-xs text-slate-600">
                  Scopes: {c.scopes.join(", ")} · audiences: {c.allowedAudiences.length ? c.allowedAudiences.join(", ") : "any"} · max lifetime{" "}
                  {c.maxLifetimeMinutes} min · rate limit {c.rateLimitPerMinute ?? "default"}/min · active tokens per subject {c.activeTokenLimit ?? "no limit"}
                </p>
                <p className="text-xs text-slate-500">
                  Created <When at={c.createdAt} /> · last used <When at={c.lastUsedAt} />
                  {c.disabledAt ? (
                    <>
                      {" "}
                      · disabled <When at={c.disabledAt} />
                    </>
                  ) : null}
                </p>
                <details className="mt-2">
                  <summary className="cursor-pointer text-sm text-sky-700">Change settings</summary>
                  <ActionForm action={updateClientAction} submitLabel="Save" submitClassName={buttonClass} className="mt-2 grid max-w-2xl gap-3">
                    <input type="hidden" name="clientId" value={c.clientId} />
                    <SettingsFields prefix={`edit-${c.clientId}`} client={c} />
                  </ActionForm>
                </details>
                <div className="mt-2 flex flex-wrap gap-3">
                  <ActionForm
                    action={setClientDisabledAction}
                    submitLabel={c.disabledAt ? "Enable" : "Disable"}
                    submitClassName={c.disabledAt ? secondaryButtonClass : dangerButtonClass}
                    testId={`toggle-${c.clientId}`}
                    confirm={
                      c.disabledAt
                        ? undefined
                        : {
                            title: `Disable ${c.clientId}?`,
                            body: (
                              <>
                                Its secret and API key stop working on every instance at once: every call it makes is refused with 401 until you enable it
                                again. Tokens it issued stay valid.
                              </>
                            ),
                            confirmLabel: "Disable client",
                          }
                    }
                  >
                    <input type="hidden" name="clientId" value={c.clientId} />
                    <input type="hidden" name="disabled" value={c.disabledAt ? "false" : "true"} />
                  </ActionForm>
                  <ActionForm
                    action={rotateSecretAction}
                    submitLabel="New secret"
                    submitClassName={secondaryButtonClass}
                    testId={`new-secret-${c.clientId}`}
                    confirm={{
                      title: `A new secret for ${c.clientId}?`,
                      body: (
                        <>
                          The current secret and API key stop working at once; the service using them is refused until it is given the new one, which is shown
                          here once.
                        </>
                      ),
                      confirmLabel: "Issue a new secret",
                    }}
                  >
                    <input type="hidden" name="clientId" value={c.clientId} />
                  </ActionForm>
                </div>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
