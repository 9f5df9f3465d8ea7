import { BlockList, isIP } from "node:net";
import Bowser from "bowser";
import type { TokenOrigin } from "@/lib/tokens/origin";

/**
 * A token's origin in words, for people telling their sessions apart (/me) and for the console:
 * the browser and operating system read from the User-Agent (bowser, MIT), and where the address is.
 * TIM has no GeoIP database (none that is self-contained, well-licensed and small enough to ship;
 * no network service is asked): a public address is shown as it is, private and loopback ranges
 * are named ("local network", "this computer").
 */
export type OriginDescription = {
  /** "Firefox 128 on macOS", "Chrome on Android", or null when there is no User-Agent. */
  device: string | null;
  browser: string | null;
  os: string | null;
  /** desktop, mobile, tablet, tv, bot (bowser's platform type), when known. */
  platform: string | null;
  address: string | null;
  /** "this computer" (loopback), "local network" (private, link-local, shared ranges), or null (a public address). */
  network: string | null;
};

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["169.254.0.0", 16],
  ["100.64.0.0", 10],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv4");
}
PRIVATE.addSubnet("fc00::", 7, "ipv6");
PRIVATE.addSubnet("fe80::", 10, "ipv6");

/** What kind of network an address is on: "this computer", "local network", or null for a public one. */
export function networkOf(address: string | null): string | null {
  const family = address ? isIP(address) : 0;
  if (!address || family === 0) return null;
  const type = family === 6 ? "ipv6" : "ipv4";
  if (LOOPBACK.check(address, type)) return "this computer";
  if (PRIVATE.check(address, type)) return "local network";
  return null;
}

const versionOf = (v: string | undefined, keep = 1) => (v ? v.split(".").slice(0, keep).join(".") : "");

/** A User-Agent no browser is read from (an API client: `curl/8.5.0`, `node`): its first product token. */
function firstProduct(userAgent: string): string {
  const first = userAgent.split(/\s+/)[0];
  return first.length > 60 ? `${first.slice(0, 60)}…` : first;
}

export function describeOrigin(origin: TokenOrigin): OriginDescription {
  const network = networkOf(origin.clientAddress);
  if (!origin.userAgent) return { device: null, browser: null, os: null, platform: null, address: origin.clientAddress, network };
  const parsed = Bowser.parse(origin.userAgent);
  const browser = parsed.browser.name ? `${parsed.browser.name} ${versionOf(parsed.browser.version)}`.trim() : null;
  const osName = parsed.os.name ? `${parsed.os.name} ${parsed.os.versionName ?? versionOf(parsed.os.version, 2)}`.trim() : null;
  const device = browser && osName ? `${browser} on ${osName}` : (browser ?? osName ?? firstProduct(origin.userAgent));
  return { device, browser, os: osName, platform: parsed.platform.type ?? null, address: origin.clientAddress, network };
}
