// jks-js ships no types: the one function used here (lib/migration-tim2/read-signing-key.ts).
declare module "jks-js" {
  /** Entries of a JKS or PKCS#12 keystore by alias: a key entry's PEM private key and certificate chain. */
  export function toPem(keystore: Buffer, keystorePassword: string, privateKeyPassword?: string): Record<string, { key?: string; cert?: string; ca?: string }>;
}
