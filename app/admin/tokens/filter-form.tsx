import { Field, buttonClass, inputClass, secondaryButtonClass } from "@/app/admin/_components/ui";
import { CONTAINS_MIN_CHARS } from "@/lib/reporting/filters";

type Values = Record<string, string>;

/** Subject and JWT name: a text and how it matches (subject_match, name_match; lib/reporting/filters.ts). */
const MATCHED_FIELDS: [name: string, match: string, label: string][] = [
  ["subject", "subject_match", "Subject"],
  ["jwt_name", "name_match", "JWT name"],
];

const TEXT_FIELDS: [name: string, label: string, hint?: string][] = [
  ["claim_keys", "Claim keys", "comma-separated; all must be present"],
  ["issuer", "Issuer"],
  ["audience", "Audience", "one of the token's audiences"],
  ["client_id", "API client"],
  ["address", "Client address", "an address or CIDR range, e.g. 192.0.2.10 or 10.0.0.0/8"],
  ["reason", "Revocation reason", "contains this text (any case)"],
  ["auth_method", "TARA auth method", "e.g. mID, smartid, idcard"],
  ["loa", "TARA level of assurance", "low, substantial, high"],
];

const DATE_FIELDS: [name: string, label: string][] = [
  ["issued_from", "Issued from"],
  ["issued_to", "Issued to"],
  ["expires_from", "Expires from"],
  ["expires_to", "Expires to"],
];

/** A text filter with its match mode beside it. */
function MatchedField({ name, match, label, values }: { name: string; match: string; label: string; values: Values }) {
  return (
    <Field label={label} htmlFor={`f-${name}`} hint={`exact, starts with (case-sensitive) or contains (any case, ${CONTAINS_MIN_CHARS}+ characters)`}>
      <div className="grid grid-cols-[minmax(0,1fr)_7.5rem] gap-1">
        <input id={`f-${name}`} name={name} defaultValue={values[name] ?? ""} className={inputClass} autoComplete="off" />
        <select name={match} aria-label={`${label}: how it matches`} defaultValue={values[match] ?? "exact"} className={inputClass}>
          <option value="exact">is</option>
          <option value="prefix">starts with</option>
          <option value="contains">contains</option>
        </select>
      </div>
    </Field>
  );
}

/**
 * The token filters as a GET form: submitting puts them in the URL, so a search can be bookmarked and shared.
 * `only`: the fields to offer (revocation by query offers fewer); all by default.
 */
export function TokenFilterForm({
  values,
  action,
  extra,
  only,
  submitLabel = "Search",
  hidden,
}: {
  values: Values;
  action: string;
  extra?: React.ReactNode;
  only?: ReadonlySet<string>;
  submitLabel?: string;
  hidden?: Record<string, string>;
}) {
  const offered = (name: string) => !only || only.has(name);
  return (
    <form method="get" action={action} className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4" aria-label="Token filters">
      {Object.entries(hidden ?? {}).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={v} />
      ))}
      <Field label="Token type" htmlFor="f-type">
        <select id="f-type" name="type" defaultValue={values.type ?? ""} className={inputClass}>
          <option value="">Custom and TARA</option>
          <option value="custom">Custom</option>
          <option value="tara">TARA</option>
        </select>
      </Field>
      {offered("status") ? (
        <Field label="Status" htmlFor="f-status">
          <select id="f-status" name="status" defaultValue={values.status ?? ""} className={inputClass}>
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="expired">Expired</option>
            <option value="revoked">Revoked</option>
            <option value="superseded">Superseded (extended)</option>
          </select>
        </Field>
      ) : null}
      {MATCHED_FIELDS.filter(([name]) => offered(name)).map(([name, match, label]) => (
        <MatchedField key={name} name={name} match={match} label={label} values={values} />
      ))}
      {TEXT_FIELDS.filter(([name]) => offered(name)).map(([name, label, hint]) => (
        <Field key={name} label={label} htmlFor={`f-${name}`} hint={hint}>
          <input id={`f-${name}`} name={name} defaultValue={values[name] ?? ""} className={inputClass} autoComplete="off" />
        </Field>
      ))}
      {DATE_FIELDS.filter(([name]) => offered(name)).map(([name, label]) => (
        <Field key={name} label={label} htmlFor={`f-${name}`} hint="YYYY-MM-DD or ISO 8601, UTC">
          <input id={`f-${name}`} name={name} defaultValue={values[name] ?? ""} className={inputClass} placeholder="2025-01-31" autoComplete="off" />
        </Field>
      ))}
      {extra}
      <div className="flex items-end gap-2 sm:col-span-2 lg:col-span-4">
        <button type="submit" className={buttonClass}>
          {submitLabel}
        </button>
        <a href={action} className={secondaryButtonClass}>
          Clear
        </a>
      </div>
    </form>
  );
}
