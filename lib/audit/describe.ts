/**
 * An audit row in words for people reading the trail in the console: what the action was, what it named,
 * how many of what, and whether it changed anything. The stored row stays as it is (it is hashed); this
 * only reads it.
 */

/** Actions by name; one missing here is shown by its dotted name. */
const ACTION_LABELS: Record<string, string> = {
  "tokens.revoke": "Revoked tokens",
  "tokens.extend": "Extended a token",
  "tokens.revoke_by_query": "Revoked tokens by query",
  "tokens.revoke_by_query.queued": "Queued a revocation by query",
  "tokens.export": "Exported tokens",
  "tokens.export.queued": "Queued a token export",
  "tokens.export.download": "Downloaded a token export",
  "token.validate": "Validated a token",
  "token.introspect": "Introspected a token",
  "tara.logout": "Ended a TARA session",
  "tara.protocol_log.read": "Read a TARA protocol log",
  "tara.protocol_log.export": "Exported a TARA protocol log",
  "client.create": "Created an API client",
  "client.update": "Changed an API client",
  "client.disable": "Disabled an API client",
  "client.enable": "Enabled an API client",
  "client.rotate_secret": "Issued a new client secret",
  "key.seed": "Created the first signing key",
  "key.prepare": "Published a next signing key",
  "key.rotate": "Rotated the signing key",
  "key.rotate_emergency": "Emergency key rotation",
  "key.retire": "Retired a signing key",
  "key.env_replace": "Replaced the key from the environment",
  "key.env_ignored": "Ignored the key in the environment",
  "admin.setup": "Became the first administrator",
  "admin.grant": "Granted the administrator role",
  "admin.revoke": "Removed an administrator",
  "settings.retention.update": "Changed retention settings",
  "audit.export": "Exported the audit trail",
  "files.download": "Downloaded a file",
  "tokens.import_tim2": "Imported from TIM 2.0",
  "web.sign_in": "Signed in",
  "web.sign_out": "Signed out",
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action;
}

export const ACTOR_LABELS: Record<string, string> = {
  api_client: "API client",
  administrator: "Administrator",
  system_job: "Job",
  end_user: "Person",
  anonymous: "Anonymous caller",
};

/** What a target names, for the page to link where it can. */
export type TargetKind = "token" | "client" | "person" | "session" | "login" | "run" | "file" | "key" | "text";
export type TargetItem = { label: string; kind: TargetKind; values: string[] };

const TARGET_KEYS: Record<string, { label: string; kind: TargetKind }> = {
  jwt_uuids: { label: "Tokens", kind: "token" },
  jwt_uuid: { label: "Token", kind: "token" },
  extended: { label: "Extended token", kind: "token" },
  successor: { label: "New version", kind: "token" },
  revoked: { label: "Newly revoked", kind: "token" },
  client_id: { label: "API client", kind: "client" },
  subject: { label: "Person", kind: "person" },
  session_id: { label: "TARA session", kind: "session" },
  state: { label: "TARA login", kind: "login" },
  run_id: { label: "Job run", kind: "run" },
  file_id: { label: "File", kind: "file" },
  kid: { label: "Key", kind: "key" },
  active_kid: { label: "Key that signs", kind: "key" },
  previous_kid: { label: "Previous key", kind: "key" },
  kind: { label: "Token type", kind: "text" },
  token_type: { label: "Token type", kind: "text" },
};

const TOKEN_KINDS: Record<string, string> = { custom: "custom JWT", tara: "TARA JWT" };

const words = (key: string) =>
  key
    .replace(/[_.]/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
const show = (v: unknown): string => (v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** The target object as labelled items: tokens, clients and the like by name, a query as its filters. */
export function describeTarget(target: unknown): TargetItem[] {
  if (!target || typeof target !== "object" || Array.isArray(target)) return [];
  const t = target as Record<string, unknown>;
  const items: TargetItem[] = [];
  for (const [key, value] of Object.entries(t)) {
    if (key === "before" && "after" in t) continue;
    if (key === "after" && value && typeof value === "object") {
      const before = (t.before ?? {}) as Record<string, unknown>;
      const changes = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${words(k)}: ${show(before[k])} → ${show(v)}`);
      items.push({ label: "Changed", kind: "text", values: changes });
      continue;
    }
    if (key === "query" && value && typeof value === "object") {
      const filters = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${words(k)} = ${show(v)}`);
      items.push({ label: "Filters", kind: "text", values: filters.length ? filters : ["none (every token)"] });
      continue;
    }
    const known = TARGET_KEYS[key];
    const values = (Array.isArray(value) ? value : [value]).map((v) => (known?.label === "Token type" ? (TOKEN_KINDS[String(v)] ?? show(v)) : show(v)));
    items.push({ label: known?.label ?? `${words(key).charAt(0).toUpperCase()}${words(key).slice(1)}`, kind: known?.kind ?? "text", values });
  }
  return items;
}

/** Counts that say nothing was done to a row (the row was left as it was, or could not be acted on). */
const UNCHANGED = new Set(["already_revoked", "not_found", "invalid", "not_owned", "skipped", "unchanged"]);
const FAILED = new Set(["failed"]);

export type Outcome = { kind: "done" | "no_change" | "partial" | "failed"; text: string };

/** The counts in words ("2 revoked · 1 already revoked") and what they mean for the action. */
export function describeOutcome(counts: unknown): Outcome {
  const entries = Object.entries(counts && typeof counts === "object" ? (counts as Record<string, unknown>) : {}).filter(
    (e): e is [string, number] => typeof e[1] === "number",
  );
  if (entries.length === 0) return { kind: "done", text: "Done" };
  const say = (list: [string, number][]) => list.map(([k, v]) => `${v.toLocaleString("en")} ${words(k)}`).join(" · ");
  const changed = entries.some(([k, v]) => !UNCHANGED.has(k) && !FAILED.has(k) && v > 0);
  const failed = entries.some(([k, v]) => FAILED.has(k) && v > 0);
  const unchanged = entries.filter(([k, v]) => UNCHANGED.has(k) && v > 0);
  if (failed) return { kind: changed ? "partial" : "failed", text: say(entries) };
  if (!changed && unchanged.length > 0) return { kind: "no_change", text: `No change: ${say(unchanged)}` };
  return { kind: "done", text: say(entries) };
}
