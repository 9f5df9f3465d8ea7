import type { Metadata } from "next";
import { ActionForm } from "@/app/admin/_components/action-form";
import { Field, Notice, PageTitle, Section, When, buttonClass, dangerButtonClass, inputClass } from "@/app/admin/_components/ui";
import { grantAdministratorAction, removeAdministratorAction } from "@/app/admin/administrators/actions";
import { listAdministrators } from "@/lib/admins/manage-administrators";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Administrators" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function AdministratorsPage({ searchParams }: Props) {
  const welcome = (await searchParams).welcome === "1";
  const admins = await listAdministrators();
  return (
    <>
      <PageTitle title="Administrators">
        People who may use this console, by personal code as TARA gives it. Those from <code>TIM_ADMIN_SUBJECTS</code> are changed there; the others here or
        with <code>npm run tim -- admin add|remove</code>. Every grant and removal is in the audit log.
      </PageTitle>
      {welcome ? (
        <Notice kind="success" testId="setup-welcome">
          You are TIM&apos;s first administrator. Next: create an API client under{" "}
          <a className="underline" href="/admin/clients">
            API clients
          </a>
          .
        </Notice>
      ) : null}
      <Section title="Grant the role" id="grant-administrator">
        <ActionForm
          action={grantAdministratorAction}
          submitLabel="Grant"
          submitClassName={buttonClass}
          testId="grant-administrator"
          className="flex flex-wrap items-end gap-3"
        >
          <Field label="Personal code" htmlFor="admin-subject" hint="with its country prefix, e.g. EE38001085718">
            <input id="admin-subject" name="subject" required className={inputClass} autoComplete="off" />
          </Field>
        </ActionForm>
      </Section>
      <Section title="Current administrators" id="administrators">
        <ul className="divide-y divide-slate-200" data-testid="administrators">
          {admins.map((a) => (
            <li key={a.subject} className="flex flex-wrap items-center gap-x-6 gap-y-2 py-3" data-testid="administrator" data-subject={a.subject}>
              <span className="font-mono">{a.subject}</span>
              <span className="text-sm text-slate-600">
                {a.source === "environment" ? (
                  "from TIM_ADMIN_SUBJECTS"
                ) : (
                  <>
                    granted by {a.grantedBy} on <When at={a.grantedAt} />
                  </>
                )}
              </span>
              {a.source === "granted" ? (
                <ActionForm
                  action={removeAdministratorAction}
                  submitLabel="Remove"
                  submitClassName={dangerButtonClass}
                  testId={`remove-${a.subject}`}
                  className="ml-auto flex items-center gap-3"
                  confirm={{
                    title: `Remove administrator ${a.subject}?`,
                    body: <>{a.subject} loses the console: their next console request is refused, on every instance. You can grant it again later.</>,
                    confirmLabel: "Remove administrator",
                  }}
                >
                  <input type="hidden" name="subject" value={a.subject} />
                </ActionForm>
              ) : null}
            </li>
          ))}
        </ul>
      </Section>
    </>
  );
}
