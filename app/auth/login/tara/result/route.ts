import { handler, readBody } from "@/lib/http/handler";
import { authenticationSuccess } from "@/lib/tara/callback-response";
import { redeemRequestSchema, redeemTaraLogin } from "@/lib/tara/login-result";

export const dynamic = "force-dynamic";

/** The starter of a JSON login redeems its result once: `{state, login_secret}` → the TIM TARA JWT and profile. */
export const POST = handler(async (req) => {
  const { identity, issued } = await redeemTaraLogin(await readBody(req, redeemRequestSchema, { extra: { provider: "tara" } }));
  return authenticationSuccess(identity, issued);
});
