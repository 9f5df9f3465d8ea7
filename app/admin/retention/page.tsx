import type { Metadata } from "next";
import { ActionForm } from "@/app/admin/_components/action-form";
import { Badge, Empty, Field, PageTitle, ScrollRegion, Section, When, buttonClass, inputClass, secondaryButtonClass } from "@/app/admin/_components/ui";
import { runRetentionAction, setRetentionAction } from "@/app/admin/retention/actions";
import { requireUser } from "@/lib/auth/current-user";
import { config } from "@/lib/config/env";
import { recentRetentionRuns } from "@/lib/retention/request-run";
import { MIN_RETENTION_DAYS, getRetentionSettings, type RetentionSource } from "@/lib/retention/settings";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Retention" };

const SOURCE_LABELS: Record<RetentionSource, string> = {
  default: "TIM's default",
  environment: "environment",
  console: "console override",
};

/** The counts a retention run keeps per table, with readable names. */
const COUNT_LABELS: [string, string][] = [
  ["custom.jwt_metadata", "custom archived"],
  ["tara.jwt_metadata", "TARA archived"],
  ["custom.denylist", "custom denylist"],
  ["tara.denylist", "TARA denylist"],
  ["tara.oauth_state", "login states"],
  ["tara.protocol_log", "protocol log"],
];

/** Retention settings per token type, their source, recent runs, and "run now" (issue 17 §2). */
export default async function RetentionPage() {
  const user = await requireUser("/admin/retention");
  if (user.role !== "admin") return null;
  const [settings, runs] = await Promise.all([getRetentionSettings(), recentRetentionRuns(10)]);
  const cfg = config();
  const types = [
    {
      field: "customDays" as const,
      label: "Custom tokens",
      days: settings.customDays,
      source: settings.sources.customDays,
      env: "TIM_RETENTION_CUSTOM_DAYS",
      envDays: cfg.TIM_RETENTION_CUSTOM_DAYS,
    },
    {
      field: "taraDays" as const,
      label: "TARA tokens",
      days: settings.taraDays,
      source: settings.sources.taraDays,
      env: "TIM_RETENTION_TARA_DAYS",
      envDays: cfg.TIM_RETENTION_TARA_DAYS,
    },
  ];
  return (
    <>
      <PageTitle title="Retention">
        How long token metadata is kept after a token expired, before the nightly job ({cfg.TIM_RETENTION_CRON}, UTC) moves it to the archive, kept{" "}
        {cfg.TIM_ARCHIVE_DAYS} days more.
      </PageTitle>

      <Section title="Settings" id="settings">
        <ScrollRegion label="Retention per token type">
          <table className="w-full min-w-[30rem] text-sm" data-testid="retention-settings">
            <thead>
              <tr className="text-left text-slate-500">
                <th scope="col" className="py-1 font-medium">
                  Token type
                </th>
                <th scope="col" className="text-right font-medium">
                  Days after expiry
                </th>
                <th scope="col" className="pl-4 font-medium">
                  Source
                </th>
                <th scope="col" className="font-medium">
                  Without an override
                </th>
              </tr>
            </thead>
            <tbody>
              {types.map((t) => (
                <tr key={t.field} className="border-t border-slate-100" data-testid={`retention-${t.field}`}>
                  <th scope="row" className="py-1 text-left font-medium">
                    {t.label}
                  </th>
                  <td className="text-right tabular-nums">{t.days}</td>
                  <td className="pl-4">{SOURCE_LABELS[t.source]}</td>
                  <td className="text-xs text-slate-600">
                    {t.envDays} days (<code>{t.env}</code>)
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
        {settings.updatedBy ? (
          <p className="mt-2 text-xs text-slate-600">
            Last changed <When at={settings.updatedAt} /> by {settings.updatedBy}.
          </p>
        ) : null}

        <ActionForm
          action={setRetentionAction}
          submitLabel="Save retention"
          submitClassName={buttonClass}
          testId="retention-form"
          className="mt-4 grid max-w-xl gap-3"
        >
          {types.map((t) => (
            <Field
              key={t.field}
              label={`${t.label}: days after expiry`}
              htmlFor={`retention-${t.field}-input`}
              hint={`At least ${MIN_RETENTION_DAYS} days, so no evidence is archived away sooner.`}
            >
              <input
                id={`retention-${t.field}-input`}
                name={t.field}
                type="number"
                min={MIN_RETENTION_DAYS}
                max={36500}
                step={1}
                defaultValue={t.days}
                className={inputClass}
              />
            </Field>
          ))}
          <Field label="Reason (optional)" htmlFor="retention-reason" hint="Recorded in the audit log with the change.">
            <input id="retention-reason" name="reason" maxLength={500} className={inputClass} />
          </Field>
        </ActionForm>
      </Section>

      <Section title="Run now" id="run-now">
        <p className="mb-3 text-sm text-slate-700">Starts a retention run with the settings above instead of waiting for the night; the run appears below.</p>
        <ActionForm action={runRetentionAction} submitLabel="Run retention now" submitClassName={secondaryButtonClass} testId="retention-run" />
      </Section>

      <Section title="Last runs" id="runs">
        {runs.length === 0 ? (
          <Empty>No retention run yet.</Empty>
        ) : (
          <ScrollRegion label="Last retention runs">
            <table className="w-full min-w-[44rem] text-sm" data-testid="retention-runs">
              <thead>
                <tr className="text-left text-slate-500">
                  <th scope="col" className="py-1 font-medium">
                    Started
                  </th>
                  <th scope="col" className="px-2 font-medium">
                    Trigger
                  </th>
                  <th scope="col" className="px-2 font-medium">
                    Requested by
                  </th>
                  <th scope="col" className="font-medium">
                    Status
                  </th>
                  {COUNT_LABELS.map(([key, label]) => (
                    <th key={key} scope="col" className="pl-2 text-right font-medium">
                      {label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id} className="border-t border-slate-100">
                    <td className="py-1">
                      <When at={r.startedAt} />
                    </td>
                    <td className="px-2">{r.trigger}</td>
                    <td className="break-all px-2">{r.requestedBy ?? "—"}</td>
                    <td>
                      <Badge value={r.status} />
                      {r.error ? <span className="block text-xs text-rose-700">{r.error}</span> : null}
                    </td>
                    {COUNT_LABELS.map(([key]) => (
                      <td key={key} className="text-right tabular-nums">
                        {(r.counts[key] ?? 0).toLocaleString("en")}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </Section>
    </>
  );
}
