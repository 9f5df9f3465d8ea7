import { config } from "@/lib/config/env";
import { STAND_IN_NOTICE } from "@/lib/tara/pages";

/** Shown on every page while the local TARA stand-in serves the logins. */
export function StandInBanner() {
  if (!config().TIM_TARA_STAND_IN) return null;
  return (
    <div role="alert" data-testid="stand-in-banner" className="bg-red-700 px-4 py-3 text-center text-sm font-semibold text-white">
      {STAND_IN_NOTICE}
    </div>
  );
}
