import { BlockList, isIP } from "node:net";
import { config } from "@/lib/config/env";
import type { ApiRequest } from "@/lib/http/handler";

let trusted: { source: string; list: BlockList } | undefined;

/** TIM_TRUSTED_PROXIES as a BlockList (addresses and CIDR ranges, IPv4 and IPv6). */
function trustedProxies(): BlockList {
  const source = config().TIM_TRUSTED_PROXIES;
  if (trusted?.source === source) return trusted.list;
  const list = new BlockList();
  for (const entry of source
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [address, bits] = entry.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (!isIP(address)) throw new Error(`Invalid configuration: TIM_TRUSTED_PROXIES: ${entry} is not an address or range`);
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  trusted = { source, list };
  return list;
}

function isTrusted(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && trustedProxies().check(address, family === 6 ? "ipv6" : "ipv4");
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are one address. */
function normalise(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The address a request comes from: the socket's peer, or, when that peer is a
 * trusted proxy, the nearest X-Forwarded-For hop that is not one (walking from
 * the right, as each proxy appends). Undefined when the server does not know
 * the socket (a request that did not come through TIM's own server).
 */
export function sourceAddress(req: ApiRequest): string | undefined {
  return addressFrom(req.remoteAddress, req.headers.get("x-forwarded-for"));
}

/** sourceAddress from the socket's peer and the X-Forwarded-For header. */
export function addressFrom(remoteAddress: string | undefined, forwarded: string | string[] | null | undefined): string | undefined {
  if (!remoteAddress) return undefined;
  let address = normalise(remoteAddress);
  if (!isTrusted(address)) return address;
  if (Array.isArray(forwarded)) forwarded = forwarded.join(",");
  if (!forwarded) return address;
  const hops = forwarded.split(",").map((h) => normalise(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isIP(hops[i])) return address;
    address = hops[i];
    if (!isTrusted(address)) return address;
  }
  return address;
}

/**
 * The header in which TIM's server hands a page request's source address to Next (pages and server actions
 * see no socket). The server sets or removes it on every such request, so a client cannot supply it.
 */
export const SOURCE_ADDRESS_HEADER = "x-tim-source-address";

/** The source address of a page request or server action, as TIM's server found it (undefined: not known). */
export function pageSourceAddress(headers: { get(name: string): string | null }): string | undefined {
  const value = headers.get(SOURCE_ADDRESS_HEADER);
  return value && isIP(value) ? value : undefined;
}
