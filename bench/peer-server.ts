/**
 * The peer: oidc-provider (certified OpenID provider) with its in-memory
 * adapter. Client-credentials grant issuing JWT access tokens (same key type as
 * TIM) for "issue", opaque tokens for "introspect" (it introspects only those).
 */
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

export const PEER_CLIENT = { id: "bench-client", secret: "bench-client-secret-0123456789" };
export const JWT_RESOURCE = "urn:tim-bench:jwt";
export const OPAQUE_RESOURCE = "urn:tim-bench:opaque";

const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
const alg = (process.env.TIM_SIGNING_ALG ?? "RS256") as "RS256" | "ES256" | "EdDSA";

const { privateKey } = await generateKeyPair(alg, { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg, use: "sig", kid: "peer-1" };

// The typings lag behind oidc-provider 9 (clientCredentials, resourceIndicators).
const configuration = {
  clients: [
    {
      client_id: PEER_CLIENT.id,
      client_secret: PEER_CLIENT.secret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ["api"],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf ?? JWT_RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx: unknown, resource: string) =>
        resource === OPAQUE_RESOURCE
          ? { scope: "api", audience: resource, accessTokenFormat: "opaque", accessTokenTTL: 3600 }
          : { scope: "api", audience: resource, accessTokenFormat: "jwt", accessTokenTTL: 3600, jwt: { sign: { alg } } },
    },
  },
} as unknown as ConstructorParameters<typeof Provider>[1];
const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
// oidc-provider warns about development-only defaults; the benchmark knows.
provider.on("server_error", () => undefined);

provider.listen(port, () => process.stdout.write(`ready ${port}\n`));
