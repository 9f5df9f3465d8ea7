/**
 * Everything TIM prepares after migrations and before serving: signing key,
 * bootstrap API client, the local TARA stand-in and the background-job runner.
 */
export type Runtime = {
  /** Interface to bind when HOST is not set. */
  defaultHost: string;
  /** Lines for the start-up banner (how to log in, warnings). */
  notes: string[];
  stop: () => Promise<void>;
};

export async function prepareRuntime(): Promise<Runtime> {
  const notes: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  return {
    defaultHost: "0.0.0.0",
    notes,
    stop: async () => {
      for (const s of stops.reverse()) await s();
    },
  };
}
