import { route } from "@/lib/http/route";
import { authenticationSuccess } from "@/lib/tara/callback-response";
import { redeemRequestSchema, redeemTaraLogin } from "@/lib/tara/login-result";
import { authenticationSuccessResponse } from "@/lib/tara/responses";

export const dynamic = "force-dynamic";

/** The starter of a JSON login redeems its result once: `{state, login_secret}` → the TIM TARA JWT and profile. */
export const POST = route(
  {
    auth: "public",
    example: { state: "Rr1...", login_secret: "ls_..." },
    errors: ["invalid_login_secret", "login_pending", "login_expired"],
    responses: { 200: authenticationSuccessResponse },
    body: { schema: redeemRequestSchema, extra: { provider: "tara" } },
  },
  async ({ body }) => {
    const { identity, issued } = await redeemTaraLogin(body);
    return authenticationSuccess(identity, issued);
  },
);
