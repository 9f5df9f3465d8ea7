import { UI_LOCALES } from "@/lib/tara/protocol";

/** A language TARA's pages speak (spec §4.1 `ui_locales`: et, en, ru). */
export type UiLocale = (typeof UI_LOCALES)[number];

const isUiLocale = (value: unknown): value is UiLocale => (UI_LOCALES as readonly string[]).includes(value as string);

/**
 * The first of TARA's languages an Accept-Language header asks for, by its
 * q-values (RFC 9110 §12.5.4); undefined when it asks for none of them.
 */
export function localeFromAcceptLanguage(header: string | null | undefined): UiLocale | undefined {
  const ranked = (header ?? "")
    .split(",")
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(";");
      const q = Number(params.map((p) => p.trim().match(/^q=([\d.]+)$/)?.[1]).find(Boolean) ?? 1);
      return { language: tag.trim().toLowerCase().split("-")[0], q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.q > 0 && isUiLocale(r.language))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.language as UiLocale | undefined;
}

/** A page's language: the login's ui_locales when known, else the browser's, else English (TIM's own). */
export function pageLocale(stored: string | null | undefined, acceptLanguage: string | null | undefined): UiLocale {
  return isUiLocale(stored) ? stored : (localeFromAcceptLanguage(acceptLanguage) ?? "en");
}
