export type JobMode = "inngest-cloud" | "inngest-self-hosted" | "in-process";

/** Where background functions run: Inngest when configured, else inside this process. */
export function jobMode(env: NodeJS.ProcessEnv = process.env): JobMode {
  if (env.INNGEST_BASE_URL) return "inngest-self-hosted";
  if (env.INNGEST_EVENT_KEY || env.INNGEST_SIGNING_KEY) return "inngest-cloud";
  return "in-process";
}
