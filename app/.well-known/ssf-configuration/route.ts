import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { oauthIssuer } from "@/lib/oauth/issuer";
import { ssfConfiguration } from "@/lib/ssf/configuration";
import { ssfConfigurationResponse } from "@/lib/ssf/responses";

export const dynamic = "force-dynamic";

/** SSF 1.0 §7: the Shared Signals transmitter's metadata. */
export const GET = route({ auth: "public", responses: { 200: ssfConfigurationResponse } }, async ({ req }) => json(ssfConfiguration(oauthIssuer(req))));
