import { json } from "@/lib/http/handler";
import { route } from "@/lib/http/route";
import { publicJwks } from "@/lib/jwt/jwks";

export const dynamic = "force-dynamic";

// Resource servers may cache the set briefly; prepare the next key longer than this before activating it.
export const GET = route({ auth: "public" }, async () => json(await publicJwks(), 200, { "cache-control": "public, max-age=300" }));
