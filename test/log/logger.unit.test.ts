import { afterEach, expect, test } from "vitest";
import { resetConfig } from "@/lib/config/env";
import { log } from "@/lib/log/logger";

const original = process.env.TIM_LOG_LEVEL;
afterEach(() => {
  if (original === undefined) delete process.env.TIM_LOG_LEVEL;
  else process.env.TIM_LOG_LEVEL = original;
  resetConfig();
});

/** What `fn` writes to stdout and stderr. */
function captured(fn: () => void): { out: string; err: string } {
  const seen = { out: "", err: "" };
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const into = (stream: "out" | "err") =>
    ((chunk: string) => {
      seen[stream] += chunk;
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = into("out");
  process.stderr.write = into("err");
  try {
    fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return seen;
}

test("one JSON line: ISO time, level as a word, msg and the fields; info on stdout, warn and error on stderr", () => {
  process.env.TIM_LOG_LEVEL = "info";
  resetConfig();
  const { out, err } = captured(() => {
    log.info("hello", { count: 2 });
    log.warn("careful");
    log.debug("not at info");
  });
  const line = JSON.parse(out.trim());
  expect(line).toEqual({ time: expect.any(String), level: "info", msg: "hello", count: 2 });
  expect(new Date(line.time).toISOString()).toBe(line.time);
  expect(JSON.parse(err.trim())).toMatchObject({ level: "warn", msg: "careful" });
  expect(out.trim().split("\n")).toHaveLength(1);
});

test("fields named like a credential are redacted, at the top level and one level down", () => {
  process.env.TIM_LOG_LEVEL = "info";
  resetConfig();
  const { out } = captured(() =>
    log.info("oops", {
      token: "eyJhbGciOi.x.y",
      client_secret: "s3cret",
      authorization: "Basic YTpi",
      nested: { password: "pw", cookie: "c=1" },
      kind: "custom",
    }),
  );
  expect(out).not.toMatch(/eyJhbGciOi|s3cret|YTpi|"pw"|c=1/);
  expect(JSON.parse(out)).toMatchObject({
    token: "[redacted]",
    client_secret: "[redacted]",
    authorization: "[redacted]",
    nested: { password: "[redacted]", cookie: "[redacted]" },
    kind: "custom",
  });
});

test("TIM_LOG_LEVEL applies when the configuration is reloaded; enabled() says so", () => {
  process.env.TIM_LOG_LEVEL = "error";
  resetConfig();
  expect(log.enabled("info")).toBe(false);
  expect(captured(() => log.warn("quiet")).err).toBe("");
  process.env.TIM_LOG_LEVEL = "debug";
  resetConfig();
  expect(log.enabled("debug")).toBe(true);
  expect(JSON.parse(captured(() => log.debug("loud")).out)).toMatchObject({ level: "debug", msg: "loud" });
});

test("notice lines (where TIM listens, the setup link, shutting down) are written at info whatever the level", () => {
  process.env.TIM_LOG_LEVEL = "error";
  resetConfig();
  const { out } = captured(() => {
    log.notice("TIM: listening on http://localhost:3000");
    log.info("not at error");
  });
  expect(
    out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l)),
  ).toEqual([{ time: expect.any(String), level: "info", msg: "TIM: listening on http://localhost:3000" }]);
});
