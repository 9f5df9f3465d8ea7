import { ActionForm } from "@/app/admin/_components/action-form";
import { Empty, Field, JobRunCells, formatBytes, inputClass, secondaryButtonClass } from "@/app/admin/_components/ui";
import { ArchivePurgeFiles } from "@/app/admin/exports/archive-files";
import { requestExportAction } from "@/app/admin/exports/actions";
import { AutoRefresh } from "@/app/admin/_components/auto-refresh";
import { exportFileOf, listExportJobs } from "@/lib/reporting/export-download";

/**
 * "Export in background" for the search's filters, and the latest background
 * exports with their progress and, once finished, the download.
 */
export async function BackgroundExports({ query }: { query: Record<string, string> }) {
  const jobs = await listExportJobs(5);
  const running = jobs.some((j) => j.status === "queued" || j.status === "running");
  return (
    <div className="mt-4 border-t border-slate-200 pt-4" data-testid="background-exports">
      <ActionForm
        action={requestExportAction}
        submitLabel="Export in background"
        submitClassName={secondaryButtonClass}
        testId="export-background"
        className="flex flex-wrap items-end gap-3"
      >
        <input type="hidden" name="query" value={new URLSearchParams(query).toString()} />
        <Field label="Format" htmlFor="bg-format">
          <select id="bg-format" name="format" defaultValue="csv" className={inputClass}>
            <option value="csv">CSV</option>
            <option value="jsonl">JSON Lines</option>
          </select>
        </Field>
      </ActionForm>
      <AutoRefresh active={running} />
      <h3 className="mt-4 text-sm font-semibold">Background exports</h3>
      {jobs.length === 0 ? (
        <Empty>No export has run in the background yet.</Empty>
      ) : (
        <table className="mt-1 w-full text-sm" data-testid="export-jobs">
          <thead>
            <tr className="text-left text-slate-500">
              <th>Started</th>
              <th>By</th>
              <th>Status</th>
              <th className="text-right">Rows</th>
              <th className="text-right">File</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => {
              const file = exportFileOf(j);
              return (
                <tr key={j.id} className="border-t border-slate-100" data-testid="export-job" data-run-id={j.id}>
                  <JobRunCells job={j} />
                  <td className="text-right">
                    {file ? (
                      <a className="text-sky-700 underline" href={`/admin/exports/${j.id}`} data-testid="export-download" title={`SHA-256 ${file.sha256}`}>
                        {file.format.toUpperCase()}, {formatBytes(file.bytes)}
                      </a>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <ArchivePurgeFiles />
    </div>
  );
}
