import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { recordAudit } from "@/lib/audit/record";
import type { AuditEvent } from "@/lib/audit/event";
import { db } from "@/lib/db/client";
import { recordQueryDuration } from "@/lib/metrics/registry";
import { countTokens } from "@/lib/reporting/count";
import { describedQuery } from "@/lib/http/described-query";
import { badRequest } from "@/lib/http/errors";
import { filtersToParams, parseTokenQuery, tokenFilterSchema, type TokenFilters } from "@/lib/reporting/filters";
import type { Keyset } from "@/lib/reporting/query";
import { fetchTokenBatch, toReportRow, type TokenReportRow } from "@/lib/reporting/search";

export const EXPORT_FORMATS = ["csv", "jsonl"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Export columns in order (CSV header); `claims` is the token's claims as JSON. */
export const EXPORT_COLUMNS = [
  "kind",
  "token_type",
  "jwt_uuid",
  "id",
  "jwt_name",
  "subject",
  "issuer",
  "audience",
  "client_id",
  "claim_keys",
  "status",
  "issued_at",
  "expires_at",
  "created_at",
  "revoked_at",
  "revocation_reason",
  "revoked_by",
  "original_jwt_uuid",
  "supersedes",
  "last_used_at",
  "use_count",
  "auth_method",
  "level_of_assurance",
  "session_id",
  "imported_from",
  "client_address",
  "user_agent",
  "claims",
] as const satisfies readonly (keyof TokenReportRow)[];

/** Stored columns an export leaves out on purpose, and why (test/tokens/kind-columns.test.ts checks every other one is exported). */
export const NOT_EXPORTED: Readonly<Record<string, string>> = {
  claims_json: "exported as `claims`",
  token_hash: "the hash of the bearer token itself; it identifies the token to anyone holding it",
  oauth_state_id: "internal to the TARA login flow",
  given_name: "personal data; the subject identifies the person",
  family_name: "personal data; the subject identifies the person",
  email: "personal data (TARA scope email); the subject identifies the person",
  email_verified: "belongs with email, which is not exported",
  phone_number: "personal data (TARA scope phone); the subject identifies the person",
  phone_number_verified: "belongs with phone_number, which is not exported",
};

const BATCH_ROWS = 500;
const SORT = { sort: "issued_at", order: "desc" } as const;

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  jsonl: "application/x-ndjson; charset=utf-8",
};

function encodeBatch(rows: TokenReportRow[], format: ExportFormat, header: boolean): string {
  if (format === "jsonl") return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
  return stringify(
    rows.map((r) => ({ ...r, claims: r.claims === undefined ? "" : JSON.stringify(r.claims) })),
    // escape_formulas: a value like "=HYPERLINK(…)" is not run as a formula by a spreadsheet
    { header, columns: [...EXPORT_COLUMNS], escape_formulas: true, cast: { boolean: String } },
  );
}

export type ExportBatch = { text: string; rows: number; last: Keyset | undefined; done: boolean };

/**
 * The export's next batch of rows after `after` (the start when undefined),
 * encoded; the CSV header leads the first batch. `now` fixes the status
 * column for the whole export. The stream below and the background export
 * job (lib/reporting/export-job.ts) both walk an export with it.
 */
export async function exportBatch(filters: TokenFilters, format: ExportFormat, after: Keyset | undefined, now: Date): Promise<ExportBatch> {
  const batch = await fetchTokenBatch(filters, SORT, after, BATCH_ROWS, { withClaims: true, now });
  const report = batch.rows.map((r) => toReportRow(r, now.getTime(), true));
  return {
    text: encodeBatch(report, format, after === undefined && format === "csv"),
    rows: report.length,
    last: batch.last,
    done: batch.rows.length < BATCH_ROWS,
  };
}

/**
 * Every token matching the filters, as CSV or JSON Lines, pulled from the
 * database in keyset batches only as fast as the reader consumes them, so
 * memory stays flat however many rows match.
 */
export function streamTokenExport(filters: TokenFilters, format: ExportFormat, options: { onDone?: (rows: number) => void } = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const now = new Date();
  const started = performance.now();
  let after: Keyset | undefined;
  let rows = 0;
  const finish = () => {
    recordQueryDuration("export", (performance.now() - started) / 1000);
    options.onDone?.(rows);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const batch = await exportBatch(filters, format, after, now);
        rows += batch.rows;
        after = batch.last;
        if (batch.text) controller.enqueue(encoder.encode(batch.text));
        if (batch.done) {
          finish();
          controller.close();
        }
      },
    },
    // One batch at a time: the next is read only when the consumer drained the last.
    { highWaterMark: 0 },
  );
}

export type ExportQuery = { format: ExportFormat; filters: TokenFilters };

/** `?format=csv|jsonl&…filters` of an export download (a route's query parser). */
export const exportQuery = describedQuery(
  (params: URLSearchParams): ExportQuery => {
    const format = params.get("format") ?? "csv";
    if (!EXPORT_FORMATS.includes(format as ExportFormat)) throw badRequest("format must be csv or jsonl.");
    return { format: format as ExportFormat, filters: parseTokenQuery(params).filters };
  },
  z.object({ format: z.enum(EXPORT_FORMATS).default("csv") }),
  tokenFilterSchema,
);

export type TokenExport = { stream: ReadableStream<Uint8Array>; filename: string; contentType: string; expectedRows: number };

/**
 * Starts an export and records it in the audit trail (who, filters, format,
 * how many rows match, when) before the first byte leaves.
 */
export async function startTokenExport(input: {
  filters: TokenFilters;
  format: ExportFormat;
  actor: AuditEvent["actor"];
  requestId?: string | null;
}): Promise<TokenExport> {
  const expectedRows = await countTokens(input.filters);
  const at = new Date();
  await (await db()).$transaction((tx) =>
    recordAudit(tx, {
      actor: input.actor,
      action: "tokens.export",
      target: { query: filtersToParams(input.filters), format: input.format },
      counts: { rows: expectedRows },
      requestId: input.requestId,
      at,
    }),
  );
  const stamp = at.toISOString().replace(/[:.]/g, "-");
  return {
    stream: streamTokenExport(input.filters, input.format),
    filename: `tim-tokens-${stamp}.${input.format}`,
    contentType: EXPORT_CONTENT_TYPES[input.format],
    expectedRows,
  };
}

/**
 * The export download for a request's query (exportQuery), audited
 * under `actor`: the one implementation behind the reporting API and the console.
 */
export async function tokenExportResponse({ format, filters }: ExportQuery, actor: AuditEvent["actor"], requestId: string): Promise<Response> {
  const exported = await startTokenExport({ filters, format, actor, requestId });
  return new Response(exported.stream, {
    headers: {
      "content-type": exported.contentType,
      "content-disposition": `attachment; filename="${exported.filename}"`,
      "cache-control": "no-store",
      "x-tim-expected-rows": String(exported.expectedRows),
    },
  });
}
