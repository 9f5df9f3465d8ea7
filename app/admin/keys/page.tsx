import type { Metadata } from "next";
import { ActionForm } from "@/app/admin/_components/action-form";
import { Badge, PageTitle, ScrollRegion, Section, When, buttonClass, dangerButtonClass, secondaryButtonClass } from "@/app/admin/_components/ui";
import { emergencyRotateKeyAction, prepareKeyAction, retireKeyAction, rotateKeyAction } from "@/app/admin/keys/actions";
import { listSigningKeys } from "@/lib/admin/keys";
import { requireUser } from "@/lib/auth/current-user";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Signing keys" };

export default async function KeysPage() {
  const user = await requireUser("/admin/keys");
  if (user.role !== "admin") return null;
  const { keys, jwks } = await listSigningKeys();
  return (
    <>
      <PageTitle title="Signing keys">
        One key signs; a <em>next</em> key is published before it signs — &quot;Rotate now&quot; lets it sign only once it has been in the JWKS longer than
        verifiers cache it, on every instance at the same moment; a <em>retired</em> key stays in the JWKS until the last token it signed has expired.
      </PageTitle>
      <Section title="Keys" id="keys">
        <ScrollRegion label="Signing keys">
          <table className="w-full min-w-[860px] text-sm" data-testid="key-table">
            <thead>
              <tr className="text-left text-slate-500">
                <th className="py-2">Key id (kid)</th>
                <th>Alg</th>
                <th>Status</th>
                <th>Created</th>
                <th>Activated / signs from</th>
                <th>Retired</th>
                <th>Published until</th>
                <th>In JWKS</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.kid} className="border-t border-slate-100" data-testid={k.status === "active" ? "active-key" : undefined}>
                  <td className="py-1.5 font-mono text-xs break-all">{k.kid}</td>
                  <td>{k.alg}</td>
                  <td>
                    <Badge value={k.status} />
                  </td>
                  <td>
                    <When at={k.createdAt} />
                  </td>
                  <td data-testid={k.activatesAt && k.status === "next" ? "key-signs-from" : undefined}>
                    <When at={k.status === "next" ? k.activatesAt : k.activatedAt} />
                  </td>
                  <td>
                    <When at={k.retiredAt} />
                  </td>
                  <td>{k.status === "retired" ? <When at={k.lastTokenExpiresAt} /> : "—"}</td>
                  <td>{k.published ? "yes" : "no"}</td>
                  <td className="py-1.5">
                    {k.status === "retired" ? null : (
                      <ActionForm
                        action={retireKeyAction}
                        submitLabel="Retire"
                        submitClassName={dangerButtonClass}
                        pendingLabel="Retiring…"
                        testId={`retire-${k.kid}`}
                        confirm={{
                          title: `Retire key ${k.kid}?`,
                          body:
                            k.status === "active" ? (
                              <>
                                It stops signing now and cannot sign again; the next key (or a new one) signs from now on. It stays in the JWKS until the last
                                token it signed has expired.
                              </>
                            ) : (
                              <>It will never sign. It leaves the JWKS once no token it signed is left.</>
                            ),
                          confirmLabel: "Retire key",
                        }}
                      >
                        <input type="hidden" name="kid" value={k.kid} />
                      </ActionForm>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
        <div className="mt-4 flex flex-wrap gap-4">
          <ActionForm
            action={rotateKeyAction}
            submitLabel="Rotate now"
            submitClassName={buttonClass}
            pendingLabel="Rotating…"
            testId="rotate-key"
            confirm={{
              title: "Rotate the signing key?",
              body: (
                <>
                  A new key signs once every verifier's cached key set holds it (at once if the next key has been published long enough). The current key is
                  retired: it never signs again and stays published until its tokens expire.
                </>
              ),
              confirmLabel: "Rotate",
            }}
          />
          <ActionForm action={prepareKeyAction} submitLabel="Publish a next key" submitClassName={secondaryButtonClass} testId="prepare-key" />
        </div>
        <div className="mt-6 border-t border-slate-100 pt-4">
          <ActionForm
            action={emergencyRotateKeyAction}
            submitLabel="Emergency rotation"
            submitClassName={dangerButtonClass}
            pendingLabel="Rotating…"
            testId="emergency-rotate-key"
            confirm={{
              title: "Switch to a new signing key now?",
              body: (
                <>
                  A new key signs from this moment on every instance. Verifiers that cached the key set refuse its tokens until they fetch the JWKS again.
                  Tokens the old key signed stay valid until they expire unless you revoke them.
                </>
              ),
              confirmLabel: "Switch keys now",
            }}
          >
            <p className="mb-3 text-sm text-slate-700">
              For a compromised signing key: switch to a new key at once, although verifiers that cached the key set refuse its tokens until they fetch it
              again.
            </p>
          </ActionForm>
        </div>
      </Section>
      <Section title="JWKS (as published at /jwt/keys/public)" id="jwks">
        <pre className="whitespace-pre-wrap break-all rounded bg-slate-900 p-3 text-xs text-slate-100" data-testid="jwks">
          {JSON.stringify(jwks, null, 2)}
        </pre>
      </Section>
    </>
  );
}
