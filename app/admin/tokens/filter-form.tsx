import { Field, buttonClass, inputClass, secondaryButtonClass } from "@/app/admin/_components/ui";

type Values = Record<string, string>;

const TEXT_FIELDS: [name: string, label: string, hint?: string][] = [
  ["subject", "Subject"],
  ["jwt_name", "JWT name"],
  ["claim_keys", "Claim keys", "comma-separated; all must be present"],
  ["issuer", "Issuer"],
  ["audience", "Audience"],
  ["client_id", "API client"],
  ["auth_method", "TARA auth method", "e.g. mID, smartid, idcard"],
  ["loa", "TARA level of assurance", "low, substantial, high"],
];

const DATE_FIELDS: [name: string, label: string][] = [
  ["issued_from", "Issued from"],
  ["issued_to", "Issued to"],
  ["expires_from", "Expires from"],
  ["expires_to", "Expires to"],
];

/** The token filters as a GET form: submitting puts them in the URL, so a search can be bookmarked and shared. */
export function TokenFilterForm({ values, action, extra }: { values: Values; action: string; extra?: React.ReactNode }) {
  return (
    <form method="get" action={action} className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4" aria-label="Token filters">
      <Field label="Token type" htmlFor="f-type">
        <select id="f-type" name="type" defaultValue={values.type ?? ""} className={inputClass}>
          <option value="">Custom and TARA</option>
          <option value="custom">Custom</option>
          <option value="tara">TARA</option>
        </select>
      </Field>
      <Field label="Status" htmlFor="f-status">
        <select id="f-status" name="status" defaultValue={values.status ?? ""} className={inputClass}>
          <option value="">Any</option>
          <option value="active">Active</option>
          <option value="expired">Expired</option>
          <option value="revoked">Revoked</option>
        </select>
      </Field>
      {TEXT_FIELDS.map(([name, label, hint]) => (
        <Field key={name} label={label} htmlFor={`f-${name}`} hint={hint}>
          <input id={`f-${name}`} name={name} defaultValue={values[name] ?? ""} className={inputClass} autoComplete="off" />
        </Field>
      ))}
      {DATE_FIELDS.map(([name, label]) => (
        <Field key={name} label={label} htmlFor={`f-${name}`} hint="YYYY-MM-DD or ISO 8601, UTC">
          <input id={`f-${name}`} name={name} defaultValue={values[name] ?? ""} className={inputClass} placeholder="2025-01-31" autoComplete="off" />
        </Field>
      ))}
      {extra}
      <div className="flex items-end gap-2 sm:col-span-2 lg:col-span-4">
        <button type="submit" className={buttonClass}>
          Search
        </button>
        <a href={action} className={secondaryButtonClass}>
          Clear
        </a>
      </div>
    </form>
  );
}
