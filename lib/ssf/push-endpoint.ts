import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";

/** Addresses a push endpoint may not reach unless TIM_SSF_PUSH_ALLOW_INTERNAL: TIM's own networks and the cloud metadata service. */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  INTERNAL.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  INTERNAL.addSubnet(net, bits, "ipv6");

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

function classify(address: string, family: 4 | 6): { internal: boolean; loopback: boolean } {
  // An IPv4-mapped IPv6 address is the IPv4 address.
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
  const [a, type] = mapped ? [mapped, "ipv4" as const] : [address, family === 4 ? ("ipv4" as const) : ("ipv6" as const)];
  return { internal: INTERNAL.check(a, type), loopback: LOOPBACK.check(a, type) };
}

const refuse = (message: string) => new TimError("invalid_push_endpoint", message);

export type ResolvedAddress = { address: string; family: 4 | 6 };

/**
 * The addresses a push endpoint's host resolves to, every one checked: https only (http on loopback
 * when internal addresses are allowed); no internal address unless TIM_SSF_PUSH_ALLOW_INTERNAL.
 * Called when a stream is created or changed and again before every delivery (DNS rebinding):
 * the request connects to the address checked here.
 */
export async function resolvePushEndpoint(endpoint: string): Promise<{ url: URL; addresses: ResolvedAddress[] }> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw refuse("endpoint_url is not a URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse("endpoint_url must be an https URL.");
  if (url.username || url.password) throw refuse("endpoint_url may not carry credentials; use authorization_header.");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: ResolvedAddress[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) as 4 | 6 }] : ((await lookup(host, { all: true, verbatim: true })) as ResolvedAddress[]);
  } catch {
    throw refuse(`endpoint_url's host ${host} does not resolve.`);
  }
  const allowInternal = config().TIM_SSF_PUSH_ALLOW_INTERNAL;
  for (const a of addresses) {
    const { internal, loopback } = classify(a.address, a.family);
    if (internal && !allowInternal) throw refuse(`endpoint_url resolves to an internal address (${a.address}); TIM_SSF_PUSH_ALLOW_INTERNAL=true allows it.`);
    if (url.protocol === "http:" && !(loopback && allowInternal))
      throw refuse("endpoint_url must be an https URL (http only on loopback with TIM_SSF_PUSH_ALLOW_INTERNAL=true).");
  }
  if (addresses.length === 0) throw refuse(`endpoint_url's host ${host} does not resolve.`);
  return { url, addresses };
}
