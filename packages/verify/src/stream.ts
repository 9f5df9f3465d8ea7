import { readFile, rename, writeFile } from "node:fs/promises";
import { jwtVerify, type JWTPayload } from "jose";
import { EVENTS_REQUESTED, SET_TYP, applySet } from "./events.js";
import type { KeyCache } from "./keys.js";
import type { RevocationSet, RevocationSnapshot } from "./revocations.js";

export type StreamOptions = {
  /** The `Authorization` header of an API client with the scope `ssf:receive` (`Basic …` or `Bearer tim_…`; see `basicAuth`). */
  authorization: string;
  /**
   * An existing poll stream's endpoint (`delivery.endpoint_url` of your stream, `…/ssf/poll/{stream_id}`).
   * Without it the verifier creates a poll stream at `streamsUrl` on start (or reuses the one its `stateFile` names).
   */
  pollUrl?: string;
  /** TIM's stream configuration endpoint, `…/ssf/streams` (`configuration_endpoint` of `/.well-known/ssf-configuration`). */
  streamsUrl?: string;
  /**
   * TIM's revocation snapshot, `…/ssf/revocations` (every unexpired revocation), read on start when there is no
   * state to resume. Default: beside `streamsUrl`, or beside `pollUrl` (`…/ssf/poll/{id}` → `…/ssf/revocations`).
   */
  snapshotUrl?: string;
  /** The stream's `aud` (its client id), checked on every SET; known by itself when the verifier created the stream. */
  audience?: string;
  /** Wait between polls that found nothing more (ms). Default 500. */
  intervalMs?: number;
  /** SETs per poll answer (TIM answers at most 1,000). Default 1,000. */
  maxEvents?: number;
  /** Per-poll timeout (ms). Default 10,000. */
  timeoutMs?: number;
  /** Longest wait between retries after a failed poll (ms). Default 2,000. */
  maxBackoffMs?: number;
  /**
   * A file the verifier keeps its stream and revocation set in, written before it acknowledges what it
   * applied: a restarted verifier reads it and resumes the same stream without forgetting revocations it
   * acknowledged before. Without it (or when it is missing), the verifier reads TIM's revocation snapshot on
   * start instead, so it still knows every revocation of a token that has not expired.
   */
  stateFile?: string;
  /** The description of a stream the verifier creates. */
  description?: string;
};

type StateFile = RevocationSnapshot & { version: 1; pollUrl: string; audience?: string };

export type StreamDeps = {
  issuer: string;
  keys: KeyCache;
  revocations: RevocationSet;
  algorithms: string[];
  clockToleranceS: number;
  fetch: typeof fetch;
  onError: (err: Error) => void;
};

class PollError extends Error {}

/** Verifies a Security Event Token with TIM's keys: `typ: secevent+jwt`, TIM's `iss`, the stream's `aud` when known. */
export async function verifySet(set: string, deps: StreamDeps, audience: string | undefined): Promise<JWTPayload> {
  const { payload } = await jwtVerify(set, deps.keys.key, {
    issuer: deps.issuer,
    audience,
    typ: SET_TYP,
    algorithms: deps.algorithms,
    clockTolerance: deps.clockToleranceS,
  });
  return payload;
}

/**
 * The verifier's RFC 8936 poll loop: fetch what TIM owes the stream, verify each SET with TIM's keys,
 * apply it to the revocation set, save the state file, and acknowledge it in the next poll. `syncedAt`
 * is when the last poll started that answered everything owed (`moreAvailable: false`) with every SET
 * applied: the verifier's knowledge of revocations is complete up to that moment.
 */
export class PollStream {
  pollUrl: string | undefined;
  audience: string | undefined;
  syncedAt: number | undefined;
  polls = 0;
  failures = 0;
  lastError: string | undefined;
  private ack: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private dirty = false;

  constructor(
    private readonly opts: StreamOptions,
    private readonly deps: StreamDeps,
  ) {
    this.pollUrl = opts.pollUrl;
    this.audience = opts.audience;
  }

  private headers(): Record<string, string> {
    return { authorization: this.opts.authorization, "content-type": "application/json", accept: "application/json" };
  }

  /** Finds the stream: the configured one, the state file's, or a new one; true if it resumed the state file's revocations. */
  async open(): Promise<boolean> {
    if (this.opts.stateFile) {
      const state = await readState(this.opts.stateFile);
      if (state && (!this.pollUrl || state.pollUrl === this.pollUrl)) {
        this.pollUrl = state.pollUrl;
        this.audience ??= state.audience;
        this.deps.revocations.restore(state);
        return true;
      }
    }
    if (this.pollUrl) return false;
    if (!this.opts.streamsUrl) throw new Error("createVerifier: stream.pollUrl or stream.streamsUrl is required");
    const res = await this.deps.fetch(this.opts.streamsUrl, {
      method: "POST",
      headers: this.headers(),
      body: JSON.stringify({
        delivery: { method: "urn:ietf:rfc:8936" },
        events_requested: EVENTS_REQUESTED,
        description: this.opts.description ?? "@buerostack/tim-verify",
      }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    if (res.status !== 201) throw new Error(`Creating the SSF stream: TIM answered ${res.status} ${await res.text()}`);
    const stream = (await res.json()) as { aud: string; delivery: { endpoint_url: string } };
    this.pollUrl = stream.delivery.endpoint_url;
    this.audience = stream.aud;
    this.dirty = true;
    await this.save();
    return false;
  }

  /**
   * Reads TIM's revocation snapshot, every page, into the revocation set. Called after `open()`: the stream
   * exists before the snapshot is read, so a revocation that commits meanwhile is in the snapshot or owed
   * by the stream (or both: a repeat is harmless). Like the poll, it records everything it is told; above
   * `maxRevocations` the verifier refuses every token until expiries bring the set below it.
   */
  async loadSnapshot(): Promise<void> {
    const base = this.opts.streamsUrl ? new URL("revocations", this.opts.streamsUrl) : new URL("../revocations", this.pollUrl);
    const url = this.opts.snapshotUrl ?? base.href;
    let cursor: string | null = null;
    do {
      const page = new URL(url);
      page.searchParams.set("limit", "10000");
      if (cursor) page.searchParams.set("cursor", cursor);
      const res = await this.deps.fetch(page, { headers: this.headers(), signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
      if (res.status !== 200) throw new Error(`Reading TIM's revocation snapshot: TIM answered ${res.status} ${(await res.text()).slice(0, 200)}`);
      const answer = (await res.json()) as { revocations?: Array<{ jti?: unknown; exp?: unknown; sid?: unknown }>; next_cursor?: unknown };
      if (!Array.isArray(answer?.revocations)) throw new Error("TIM's revocation snapshot: answer without revocations");
      for (const r of answer.revocations) {
        if (typeof r.jti !== "string" || typeof r.exp !== "number") continue;
        this.deps.revocations.revokeToken(r.jti, r.exp);
        if (typeof r.sid === "string") this.deps.revocations.revokeSession(r.sid, r.exp);
      }
      const next: string | null = typeof answer.next_cursor === "string" ? answer.next_cursor : null;
      if (next !== null && next === cursor) throw new Error("TIM's revocation snapshot: the next page starts where this one did");
      cursor = next;
    } while (cursor !== null);
    this.dirty = true;
    await this.save();
  }

  /** One poll (acknowledging what the previous one applied); true if TIM has more. */
  async pollOnce(): Promise<boolean> {
    const started = Date.now();
    this.polls++;
    const res = await this.deps.fetch(this.pollUrl!, {
      method: "POST",
      headers: this.headers(),
      body: JSON.stringify({ maxEvents: this.opts.maxEvents ?? 1000, returnImmediately: true, ack: this.ack }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    if (res.status !== 200) throw new PollError(`SSF poll: TIM answered ${res.status} ${(await res.text()).slice(0, 200)}`);
    const answer = (await res.json()) as { sets?: Record<string, string>; moreAvailable?: boolean };
    if (!answer || typeof answer.sets !== "object" || answer.sets === null) throw new PollError("SSF poll: answer without sets");
    // The acks just sent are done; what this answer holds is acknowledged once applied and saved.
    this.ack = [];
    const applied: string[] = [];
    let unusable = 0;
    for (const [jti, set] of Object.entries(answer.sets)) {
      try {
        const payload = await verifySet(set, this.deps, this.audience);
        if (payload.jti !== jti) throw new Error("SET jti differs from its key in the poll answer");
        applySet(payload, this.deps.issuer, this.deps.revocations);
        applied.push(jti);
      } catch (err) {
        // Not acknowledged: TIM sends it again. Until it verifies, the verifier is not in sync.
        unusable++;
        this.deps.onError(new Error(`SSF: a SET did not verify (${(err as Error).message}); not acknowledged`));
      }
    }
    if (applied.length > 0) this.dirty = true;
    await this.save();
    this.ack = applied;
    this.deps.revocations.prune();
    const more = answer.moreAvailable === true;
    if (!more && unusable === 0) this.syncedAt = started;
    return more;
  }

  /** Polls until TIM has nothing more for now (the first sync on start). */
  async drain(): Promise<void> {
    while (await this.pollOnce());
  }

  /** The background loop: poll, wait `intervalMs` (at once while TIM has more), back off on failures. */
  run(): void {
    this.stopped = false;
    const tick = async () => {
      let wait = this.opts.intervalMs ?? 500;
      try {
        if (await this.pollOnce()) wait = 0;
        this.failures = 0;
        this.lastError = undefined;
      } catch (err) {
        this.failures++;
        this.lastError = (err as Error).message;
        this.deps.onError(err as Error);
        wait = Math.min((this.opts.intervalMs ?? 500) * 2 ** Math.min(this.failures, 10), this.opts.maxBackoffMs ?? 2_000);
      }
      if (!this.stopped) this.timer = setTimeout(() => (this.running = tick()), wait);
    };
    this.running = tick();
  }

  /** Stops polling; acknowledges what was applied (best effort) and saves the state. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    clearTimeout(this.timer);
    if (this.ack.length > 0 && this.pollUrl) {
      await this.deps
        .fetch(this.pollUrl, {
          method: "POST",
          headers: this.headers(),
          body: JSON.stringify({ maxEvents: 0, ack: this.ack }),
          signal: AbortSignal.timeout(2_000),
        })
        .then((r) => (r.ok ? (this.ack = []) : undefined))
        .catch(() => undefined);
    }
    await this.save();
  }

  private async save(): Promise<void> {
    if (!this.opts.stateFile || !this.dirty || !this.pollUrl) return;
    const state: StateFile = { version: 1, pollUrl: this.pollUrl, audience: this.audience, ...this.deps.revocations.snapshot() };
    const tmp = `${this.opts.stateFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
    await rename(tmp, this.opts.stateFile);
    this.dirty = false;
  }
}

async function readState(file: string): Promise<StateFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const state = JSON.parse(text) as StateFile;
  if (state?.version !== 1 || typeof state.pollUrl !== "string") throw new Error(`${file} is not a verifier state file`);
  return state;
}
