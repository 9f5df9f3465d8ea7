import { Field, buttonClass, inputClass } from "@/app/admin/_components/ui";

/** Opens another subject's view (GET /admin/subjects?subject=…, which redirects). */
export function SubjectLookup({ current }: { current?: string }) {
  return (
    <form action="/admin/subjects" method="get" className="mb-6 flex flex-wrap items-end gap-3" role="search" aria-label="Open a subject">
      <Field label="Subject" htmlFor="subject-lookup" hint="A custom token's sub, or a person's personal code (e.g. EE38001085718).">
        <input id="subject-lookup" name="subject" required maxLength={255} defaultValue={current} className={inputClass} />
      </Field>
      <button type="submit" className={buttonClass}>
        Show
      </button>
    </form>
  );
}
