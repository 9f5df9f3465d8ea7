import { describe, expect, test } from "vitest";
import { parseAddressRange } from "@/lib/reporting/filters";

/** The token search's address filter (issue 17 §1): an address or a CIDR range, as TIM stores addresses. */
describe("parseAddressRange", () => {
  test.each([
    ["203.0.113.7", "203.0.113.7"],
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:db8::/32", "2001:db8::/32"],
    // IPv4-mapped IPv6: stored as IPv4 (lib/http/address.ts), so searched as IPv4
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:203.0.113.7", "203.0.113.7"],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
    ["::ffff:203.0.113.7/128", "203.0.113.7/32"],
    // a mapped range wider than the IPv4 space stays an IPv6 range
    ["::ffff:0.0.0.0/95", "::ffff:0.0.0.0/95"],
  ])("%s → %s", (input, expected) => expect(parseAddressRange(input)).toBe(expected));

  test.each(["not-an-address", "10.0.0.0/33", "2001:db8::/129", "10.0.0.1/8/8", "10.0.0.0/-1", "::ffff:203.0.113.7/129"])("%s is refused", (input) =>
    expect(parseAddressRange(input)).toBeUndefined(),
  );
});
