import type { AcrLevel } from "@/lib/tara/protocol";

/**
 * The identities the local TARA stand-in can log in as, from RIA's own test
 * documents (e-gov/TARA-Test, TARA-Doku). Names are as TARA returns them;
 * `amr` is spelled as TARA emits it. RIA's identities are all `high`; eIDAS
 * logins carry the foreign node's level, so the eIDAS identity is offered at
 * each level (TARA-Test logs `xavi` in at low, substantial and high).
 */
export type TaraPersona = {
  /** What the login page and `autologin` name: `sub`, with the level for identities offered at several. */
  id: string;
  /** `sub` as TARA gives it: country code + personal identifier. */
  sub: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  amr: "idcard" | "mID" | "smartid" | "eidas";
  methodLabel: string;
  acr: AcrLevel;
  /** eIDAS only: the country (ISO 3166-1 alpha-2, lower case) that `eidas:country:xx` selects. */
  country?: string;
  /** Released only with scope `email` and ID-card (TARA: email_verified is always false). */
  email?: string;
  /** Released only with scope `phone` and Mobile-ID. */
  phoneNumber?: string;
  /** Where the identity comes from, shown on the login page. */
  source: string;
};

const EIDAS_XAVI = {
  sub: "CA12345",
  givenName: "javier",
  familyName: "Garcia",
  dateOfBirth: "1965-01-01",
  amr: "eidas",
  methodLabel: "eIDAS (CA demo node)",
  country: "ca",
  source: "TARA-Test AuthenticationSpec: eIDAS user xavi",
} as const;

export const TARA_PERSONAS: readonly TaraPersona[] = [
  {
    id: "EE38001085718",
    sub: "EE38001085718",
    givenName: "JAAK-KRISTJAN",
    familyName: "JÕEORG",
    dateOfBirth: "1980-01-08",
    amr: "idcard",
    methodLabel: "ID-card",
    acr: "high",
    email: "jaak-kristjan.joeorg@eesti.ee",
    source: "TARA-Test OidcIdentityTokenRequestSpec (Web eID test card)",
  },
  {
    id: "EE60001017716",
    sub: "EE60001017716",
    givenName: "MARY ÄNN",
    familyName: "O’CONNEŽ-ŠUSLIK TESTNUMBER",
    dateOfBirth: "2000-01-01",
    amr: "mID",
    methodLabel: "Mobile-ID",
    acr: "high",
    phoneNumber: "+37259100366",
    source: "TARA-Test MobileIDAuthSpec, phone 59100366",
  },
  {
    id: "EE60001017869",
    sub: "EE60001017869",
    givenName: "EID2016",
    familyName: "TESTNUMBER",
    dateOfBirth: "2000-01-01",
    amr: "mID",
    methodLabel: "Mobile-ID",
    acr: "high",
    phoneNumber: "+37268000769",
    source: "TARA-Test AuthenticationSpec (TEST of EID-SK 2016), phone 68000769",
  },
  {
    id: "EE60001019906",
    sub: "EE60001019906",
    givenName: "MARY ÄNN",
    familyName: "O’CONNEŽ-ŠUSLIK TESTNUMBER",
    dateOfBirth: "2000-01-01",
    amr: "mID",
    methodLabel: "Mobile-ID",
    acr: "high",
    phoneNumber: "+37200000766",
    source: "TARA-Test LegalPersonAuthSpec, phone 00000766",
  },
  {
    id: "EE40404040009",
    sub: "EE40404040009",
    // RIA's tests check only the subject of document PNOEE-40404040009-MOCK-Q; the date follows from the code.
    givenName: "OK",
    familyName: "TESTNUMBER",
    dateOfBirth: "1904-04-04",
    amr: "smartid",
    methodLabel: "Smart-ID (document PNOEE-40404040009-MOCK-Q)",
    acr: "high",
    source: "TARA-Test AuthenticationSpec (Smart-ID by document number, since February 2026)",
  },
  { id: "CA12345", ...EIDAS_XAVI, acr: "high" },
  { id: "CA12345-substantial", ...EIDAS_XAVI, acr: "substantial" },
  { id: "CA12345-low", ...EIDAS_XAVI, acr: "low" },
];

/** Finds a persona by its id (EE38001085718, CA12345-low) or by a bare Estonian personal code (38001085718). */
export function findPersona(code: string): TaraPersona | undefined {
  const wanted = code.trim().toUpperCase();
  return TARA_PERSONAS.find((p) => p.id.toUpperCase() === wanted || (p.sub.startsWith("EE") && p.sub.slice(2) === wanted));
}
