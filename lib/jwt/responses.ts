import { z } from "zod";

/** GET /jwt/keys/public: the JWKS (RFC 7517), and TIM 2.0's `jwk`, the same set as a JSON string. */
export const jwksResponse = z.object({
  keys: z.array(
    z.looseObject({
      kty: z.string(),
      kid: z.string(),
      alg: z.string().optional(),
      use: z.string().optional(),
      n: z.string().optional(),
      e: z.string().optional(),
    }),
  ),
  jwk: z.string().meta({ description: "TIM 2.0's: the key set as a JSON string" }),
});
