import { expect, test } from "vitest";
import { defineJob } from "@/lib/jobs/define";
import { events } from "@/lib/jobs/events";
import { runInSlices } from "@/lib/jobs/slices";
import { runAttempt } from "@/lib/jobs/runner/execute";
import type { ExecutionRow, StepResult } from "@/lib/jobs/runner/queue";

// TIM's step API as the local runner executes it (lib/jobs/runner/execute.ts), attempt by attempt.
const row = (over: Partial<ExecutionRow> = {}): ExecutionRow => ({
  id: "run-1",
  function_id: "test",
  events: [{ name: events.retentionRequested.name, data: { requested_by: "tester" }, ts: 0 }],
  attempt: 0,
  max_attempts: 3,
  step_state: {},
  step_order: [],
  ...over,
});

/** Runs attempts the way the runner does, carrying the stored steps from one to the next. */
async function attempts(job: Parameters<typeof runAttempt>[0], n: number) {
  const stored: Record<string, StepResult> = {};
  const outcomes = [];
  for (let attempt = 0; attempt < n; attempt++) {
    const run = row({ attempt, max_attempts: job.retries + 1, step_state: { ...stored } });
    const outcome = await runAttempt(job, run, async (s) => void (stored[s.id] = s));
    outcomes.push(outcome);
    if (outcome.kind === "completed" || !outcome.retriable) break;
  }
  return { outcomes, stored };
}

test("a completed step is stored as JSON and replayed, not run again, on the next attempt", async () => {
  const ran: string[] = [];
  let failOnce = true;
  const job = defineJob({
    id: "t",
    name: "t",
    trigger: { event: events.retentionRequested },
    retries: 2,
    handler: async ({ step, event }) => {
      const at = await step.run("first", () => {
        ran.push("first");
        return new Date(0);
      });
      const again = await step.run("first", () => {
        ran.push("first:1");
        return 2;
      });
      await step.run("flaky", () => {
        ran.push("flaky");
        if (failOnce) {
          failOnce = false;
          throw new Error("try again");
        }
        return "ok";
      });
      return { at, again, by: event.data.requested_by };
    },
  });
  const { outcomes, stored } = await attempts(job, 3);
  expect(outcomes.map((o) => o.kind)).toEqual(["failed", "completed"]);
  expect(outcomes[0]).toMatchObject({ retriable: true, error: { message: "try again" } });
  expect(outcomes[1]).toEqual({ kind: "completed", output: { at: "1970-01-01T00:00:00.000Z", again: 2, by: "tester" } });
  expect(ran).toEqual(["first", "first:1", "flaky", "flaky"]);
  expect(Object.keys(stored)).toEqual(["first", "first:1", "flaky"]);
});

test("a failing step ends its attempt; on the last attempt its error reaches the handler, which records it", async () => {
  const recorded: unknown[] = [];
  const job = defineJob({
    id: "t",
    name: "t",
    trigger: { event: events.retentionRequested },
    retries: 1,
    handler: ({ step }) =>
      runInSlices(step, "slice", {
        begin: async () => ({ done: false }),
        next: async () => {
          throw Object.assign(new Error("slice broke"), { code: "E_SLICE" });
        },
        end: async (_state, error) => void recorded.push((error as Error | undefined)?.message),
      }),
  });
  const { outcomes, stored } = await attempts(job, 2);
  // attempt 0: the slice fails and nothing after it runs (not the failure step either); attempt 1 is the last
  expect(outcomes).toMatchObject([
    { kind: "failed", retriable: true, error: { message: "slice broke" } },
    { kind: "failed", retriable: true, error: { message: "slice broke" } },
  ]);
  expect(recorded).toEqual(["slice broke"]);
  expect(Object.keys(stored)).toEqual(["begin", "slice", "record-failure"]);
  expect(stored.slice).toEqual({ id: "slice", error: { name: "Error", message: "slice broke", code: "E_SLICE" } });
});

test("an event whose data no longer matches its schema fails the run without retries", async () => {
  const job = defineJob({
    id: "t",
    name: "t",
    trigger: { event: events.retentionRequested },
    retries: 5,
    handler: async () => "never",
  });
  const outcome = await runAttempt(job, row({ events: [{ name: events.retentionRequested.name, data: {}, ts: 0 }] }), async () => {});
  expect(outcome).toMatchObject({ kind: "failed", retriable: false });
});
