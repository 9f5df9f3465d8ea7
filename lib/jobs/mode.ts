export type JobMode = "inngest-cloud" | "inngest-self-hosted" | "in-process";

type InngestSettings = { INNGEST_BASE_URL?: string; INNGEST_EVENT_KEY?: string; INNGEST_SIGNING_KEY?: string };

/** Where background functions run: Inngest when configured, else inside this process (config().jobMode). */
export function jobMode(settings: InngestSettings): JobMode {
  if (settings.INNGEST_BASE_URL) return "inngest-self-hosted";
  if (settings.INNGEST_EVENT_KEY || settings.INNGEST_SIGNING_KEY) return "inngest-cloud";
  return "in-process";
}
