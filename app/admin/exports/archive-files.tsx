import { Empty, formatBytes } from "@/app/admin/_components/ui";
import { LocalTime } from "@/app/admin/_components/local-time";
import { listArchivePurgeFiles } from "@/lib/archive/files";

/** The JSON Lines files of the latest archive purges (the rows they deleted), for download until they expire. */
export async function ArchivePurgeFiles() {
  const files = await listArchivePurgeFiles(5);
  return (
    <div className="mt-4" data-testid="archive-files">
      <h3 className="text-sm font-semibold">Archive-purge files</h3>
      {files.length === 0 ? (
        <Empty>No archive purge has deleted rows recently.</Empty>
      ) : (
        <ul className="mt-1 text-sm">
          {files.map((f) => (
            <li key={f.id} data-testid="archive-file">
              <a className="text-sky-700 underline" href={`/admin/files/${f.id}`} title={`SHA-256 ${f.sha256}`}>
                {f.name}
              </a>{" "}
              ({formatBytes(f.size)}, kept until <LocalTime iso={f.expiresAt.toISOString()} />)
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
