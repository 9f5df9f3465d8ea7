/**
 * The identities the local TARA stand-in can log in as: TARA's public test
 * identities (TARA test environment, RIA's integration tests). Names are as
 * TARA returns them (upper case); `amr` is spelled as TARA emits it.
 */
export type TaraPersona = {
  /** `sub` as TARA gives it: country code + personal code. */
  sub: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  amr: "idcard" | "mID" | "smartid";
  methodLabel: string;
  acr: "high";
  /** Released only with scope `email` and ID-card (TARA: email_verified is always false). */
  email?: string;
  /** Released only with scope `phone` and Mobile-ID. */
  phoneNumber?: string;
};

export const TARA_PERSONAS: readonly TaraPersona[] = [
  {
    sub: "EE38001085718",
    givenName: "JAAK-KRISTJAN",
    familyName: "JÕEORG",
    dateOfBirth: "1980-01-08",
    amr: "idcard",
    methodLabel: "ID-card",
    acr: "high",
    email: "38001085718@eesti.ee",
  },
  {
    sub: "EE60001017716",
    givenName: "ONE",
    familyName: "TESTNUMBER",
    dateOfBirth: "2000-01-01",
    amr: "mID",
    methodLabel: "Mobile-ID",
    acr: "high",
    phoneNumber: "+37259100366",
  },
  {
    sub: "EE60001017869",
    givenName: "EID2016",
    familyName: "TESTNUMBER",
    dateOfBirth: "2000-01-01",
    amr: "mID",
    methodLabel: "Mobile-ID",
    acr: "high",
    phoneNumber: "+37268000769",
  },
  {
    sub: "EE30303039903",
    givenName: "OK",
    familyName: "TEST",
    dateOfBirth: "1903-03-03",
    amr: "smartid",
    methodLabel: "Smart-ID",
    acr: "high",
  },
  {
    sub: "EE39901012239",
    givenName: "OK",
    familyName: "TEST",
    dateOfBirth: "1999-01-01",
    amr: "smartid",
    methodLabel: "Smart-ID",
    acr: "high",
  },
  {
    sub: "EE60001019906",
    givenName: "MARY ÄNN",
    familyName: "O’CONNEŽ-ŠUSLIK TESTNUMBER",
    dateOfBirth: "2000-01-01",
    amr: "mID",
    methodLabel: "Mobile-ID",
    acr: "high",
  },
];

/** Finds a persona by `sub` (EE38001085718) or by the bare personal code (38001085718). */
export function findPersona(code: string): TaraPersona | undefined {
  const wanted = code.trim().toUpperCase();
  return TARA_PERSONAS.find((p) => p.sub === wanted || p.sub.slice(2) === wanted);
}

