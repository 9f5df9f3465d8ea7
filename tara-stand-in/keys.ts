import { randomUUID } from "node:crypto";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from "jose";

type StandInKey = { kid: string; privateKey: CryptoKey; publicJwk: JWK };

async function createKey(): Promise<StandInKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048 });
  // TARA's kids are UUIDs (specification §5.4).
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** The stand-in's signing keys as a test drives a rotation (TARA specification §5.4). */
export type StandInKeyControl = {
  /** The kid ID tokens are signed with now. */
  signingKid(): string;
  /** Publishes a new key beside the current one (two keys in the JWKS); signing does not change. Returns its kid. */
  publishNext(): Promise<string>;
  /** Signs with the newest published key from now on. */
  signWithNewest(): void;
  /** Removes every key but the signing one from the JWKS (tokens signed with them no longer verify). */
  retireOthers(): void;
};

export class StandInKeyRing implements StandInKeyControl {
  private constructor(
    private published: StandInKey[],
    private signer: StandInKey,
    /** Never published: the `unknownKid` fault signs with it. */
    private readonly foreign: StandInKey,
  ) {}

  static async create(): Promise<StandInKeyRing> {
    const [first, foreign] = await Promise.all([createKey(), createKey()]);
    return new StandInKeyRing([first], first, foreign);
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.published.map((k) => k.publicJwk) };
  }

  sign(payload: JWTPayload, options: { foreign?: boolean } = {}): Promise<string> {
    const key = options.foreign ? this.foreign : this.signer;
    return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: key.kid }).sign(key.privateKey);
  }

  signingKid(): string {
    return this.signer.kid;
  }

  async publishNext(): Promise<string> {
    const next = await createKey();
    this.published = [...this.published, next];
    return next.kid;
  }

  signWithNewest(): void {
    this.signer = this.published[this.published.length - 1];
  }

  retireOthers(): void {
    this.published = [this.signer];
  }
}
