import { z } from "zod";
import { TOKEN_STATUSES } from "@/lib/tokens/status";

/** The answers of the reporting API, for the OpenAPI document (see lib/tokens/responses.ts). */

const kind = z.enum(["custom", "tara"]);

/** GET /api/reports/stats. */
export const statsResponse = z.object({
  generated_at: z.string(),
  window_days: z.int(),
  live_from: z.string(),
  issued_per_day: z.array(z.object({ day: z.string(), custom: z.int(), tara: z.int() })),
  revocation: z.object({ issued: z.int(), revoked: z.int(), revoked_by_extension: z.int(), rate: z.number().nullable() }),
  average_lifetime_hours: z.object({ custom: z.number().nullable(), tara: z.number().nullable(), all: z.number().nullable() }),
  claim_combinations: z.array(z.object({ kind, claim_keys: z.string(), tokens: z.int() })),
  extensions: z.object({
    chains: z.int(),
    extended_chains: z.int(),
    extensions: z.int(),
    longest_chain: z.int(),
    distribution: z.array(z.object({ extensions: z.int(), chains: z.int() })),
  }),
  health: z.array(z.looseObject({ kind })),
  query_performance: z.array(z.looseObject({ query: z.string(), count: z.int() })),
});

const subjectCounts = z.object({
  active: z.int(),
  revoked: z.int().meta({ description: "Revoked, not counting supersessions" }),
  superseded: z.int().meta({ description: "Replaced by an extension (denylist reason `extended`)" }),
  expired: z.int(),
  total: z.int(),
  last_issued_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  distinct_addresses: z
    .int()
    .meta({ description: "Distinct client addresses the subject's tokens came from (tokens issued before TIM recorded addresses count none)" }),
});

/** GET /api/reports/subjects/{subject}. */
export const subjectStatisticsResponse = z.object({
  subject: z.string(),
  kinds: z.object({ custom: subjectCounts, tara: subjectCounts }),
  all: subjectCounts,
});

/** One token of a search (also a row of an export). */
export const tokenRow = z.object({
  kind,
  token_type: z.string(),
  jwt_uuid: z.string(),
  id: z.string(),
  jwt_name: z.string().nullable(),
  subject: z.string().nullable(),
  issuer: z.string().nullable(),
  audience: z.string().nullable(),
  client_id: z.string().nullable(),
  claim_keys: z.string().nullable(),
  status: z.enum(TOKEN_STATUSES).meta({ description: "`superseded`: revoked by an extension; `revoked`: revoked for any other reason" }),
  issued_at: z.string(),
  expires_at: z.string(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  revocation_reason: z.string().nullable(),
  revoked_by: z.string().nullable(),
  original_jwt_uuid: z.string().nullable(),
  supersedes: z.string().nullable(),
  last_used_at: z.string().nullable(),
  use_count: z.int(),
  auth_method: z.string().nullable(),
  level_of_assurance: z.string().nullable(),
  session_id: z.string().nullable(),
  /** Where a row came from when TIM did not issue it (`tim2`: npm run import:tim2); null for TIM's own. */
  imported_from: z.string().nullable(),
  /** Where the token came from: the address and User-Agent of the client that asked for it (null: not recorded). */
  client_address: z.string().nullable(),
  user_agent: z.string().nullable(),
});

/** GET /api/reports/tokens. */
export const tokenSearchResponse = z.object({
  items: z.array(tokenRow),
  next_cursor: z.string().nullable(),
  prev_cursor: z.string().nullable(),
  sort: z.string(),
  order: z.enum(["asc", "desc"]),
  limit: z.int(),
  total: z.int().nullable(),
  total_estimated: z.boolean().nullable(),
});

/** An export download: CSV or JSON lines, streamed. */
export const exportResponses = {
  200: {
    description: "The tokens, streamed as CSV (`format=csv`) or JSON lines (`format=jsonl`, one token row of /api/reports/tokens each)",
    content: { "text/csv": null, "application/x-ndjson": null },
  },
} as const;
