import { config } from "@/lib/config/env";
import { TimError } from "@/lib/http/errors";
import { errorResponse } from "@/lib/http/handler";
import type { UiLocale } from "@/lib/tara/locale";

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export const STAND_IN_NOTICE = "TARA stand-in in use: logins are SIMULATED and anyone can log in as anyone. Not for production.";

type Text = { title: string; message: string };

/** The page's frame in each of TARA's languages (the person chose it at the login's start: ui_locales). */
const FRAME: Record<UiLocale, { signInAgain: string; home: string; code: string; failed: Text; database: Text; internal: Text }> = {
  et: {
    signInAgain: "Logi uuesti sisse",
    home: "Avaleht",
    code: "Veakood",
    failed: { title: "Sisselogimine ebaõnnestus", message: "Sisselogimine ei õnnestunud. Palun proovige uuesti." },
    database: { title: "Teenus ei ole kättesaadav", message: "Andmebaas ei ole kättesaadav. Palun proovige varsti uuesti." },
    internal: { title: "Sisselogimine ebaõnnestus", message: "Tekkis sisemine viga. Palun proovige uuesti." },
  },
  en: {
    signInAgain: "Sign in again",
    home: "Home",
    code: "Error code",
    failed: { title: "Login failed", message: "" },
    database: { title: "Service unavailable", message: "The database is not reachable. Please try again shortly." },
    internal: { title: "Login failed", message: "An internal error occurred. Please try again." },
  },
  ru: {
    signInAgain: "Войти снова",
    home: "Главная",
    code: "Код ошибки",
    failed: { title: "Вход не удался", message: "Вход не удался. Пожалуйста, попробуйте снова." },
    database: { title: "Служба недоступна", message: "База данных недоступна. Пожалуйста, попробуйте позже." },
    internal: { title: "Вход не удался", message: "Произошла внутренняя ошибка. Пожалуйста, попробуйте снова." },
  },
};

// Refusals only the operator can fix: the person is asked to tell them (the English message names the setting).
const OPERATOR: { et: Text; ru: Text } = {
  et: {
    title: "Sisselogimine ei ole praegu võimalik",
    message: "TARA keeldus selle teenuse seadistusest, mistõttu sisselogimine ei õnnestu. Palun teavitage teenuse haldajat.",
  },
  ru: {
    title: "Вход сейчас невозможен",
    message: "TARA отклонила настройки этой службы, поэтому вход невозможен. Пожалуйста, сообщите администратору службы.",
  },
};

/** What a person is told about a failed login, by error code; English messages are the errors' own. */
const TEXTS: Record<string, { en: string; et: Text; ru: Text }> = {
  user_cancel: {
    en: "Login cancelled",
    et: { title: "Sisselogimine katkestati", message: "Sisselogimine TARA-s katkestati. Te ei ole sisse logitud." },
    ru: { title: "Вход отменён", message: "Вход через TARA был отменён. Вы не вошли в систему." },
  },
  invalid_state: {
    en: "Login expired",
    et: { title: "Sisselogimine aegus", message: "See sisselogimine on tundmatu, aegunud või juba lõpetatud. Palun logige uuesti sisse." },
    ru: { title: "Срок входа истёк", message: "Этот вход неизвестен, истёк или уже завершён. Пожалуйста, войдите снова." },
  },
  state_not_bound: {
    en: "Login failed",
    et: {
      title: "Sisselogimist ei alustatud selles brauseris",
      message: "Seda sisselogimist ei alustatud selles brauseris (või puudub selle küpsis). Te ei ole sisse logitud; palun logige uuesti sisse.",
    },
    ru: {
      title: "Вход начат в другом браузере",
      message: "Этот вход был начат не в этом браузере (или отсутствует его cookie). Вы не вошли в систему; пожалуйста, войдите снова.",
    },
  },
  tara_invalid_grant: {
    en: "Login expired",
    et: {
      title: "Sisselogimine aegus",
      message: "TARA ei aktsepteeri enam seda sisselogimist (see võttis liiga kaua aega või on juba lõpetatud). Palun logige uuesti sisse.",
    },
    ru: {
      title: "Срок входа истёк",
      message: "TARA больше не принимает этот вход (он занял слишком много времени или уже завершён). Пожалуйста, войдите снова.",
    },
  },
  tara_timeout: {
    en: "TARA did not answer",
    et: { title: "TARA ei vastanud", message: "TARA ei vastanud õigel ajal. Palun proovige uuesti sisse logida." },
    ru: { title: "TARA не ответила", message: "TARA не ответила вовремя. Пожалуйста, попробуйте войти снова." },
  },
  tara_unavailable: {
    en: "TARA is not reachable",
    et: { title: "TARA ei ole kättesaadav", message: "TARA ei ole kättesaadav või andis kasutamatu vastuse. Palun proovige hiljem uuesti." },
    ru: { title: "TARA недоступна", message: "TARA недоступна или дала непригодный ответ. Пожалуйста, попробуйте позже." },
  },
  insufficient_assurance: {
    en: "Login failed",
    et: {
      title: "Ebapiisav tagatistase",
      message: "TARA tuvastas teid madalamal tagatistasemel, kui see teenus nõuab. Palun kasutage teist autentimisvahendit.",
    },
    ru: {
      title: "Недостаточный уровень доверия",
      message: "TARA идентифицировала вас на более низком уровне доверия, чем требует эта служба. Пожалуйста, используйте другое средство аутентификации.",
    },
  },
  method_not_allowed: {
    en: "Login failed",
    et: {
      title: "Autentimisvahend ei ole lubatud",
      message: "Valitud autentimisvahend ei ole selle sisselogimise jaoks lubatud. Palun kasutage teist vahendit.",
    },
    ru: {
      title: "Способ аутентификации не разрешён",
      message: "Выбранный способ аутентификации не разрешён для этого входа. Пожалуйста, используйте другой способ.",
    },
  },
  tara_invalid_client: { en: "Login is not possible right now", ...OPERATOR },
  tara_unauthorized_client: { en: "Login is not possible right now", ...OPERATOR },
};

/** A small self-contained HTML page for the browser side of the TARA flow (no framework involved). */
export function htmlPage(status: number, title: string, message: string, locale: UiLocale = "en", code?: string): Response {
  const frame = FRAME[locale];
  const banner = config().TIM_TARA_STAND_IN
    ? `<div role="alert" style="background:#b91c1c;color:#fff;padding:.75rem 1rem;font-weight:600;text-align:center">${escapeHtml(STAND_IN_NOTICE)}</div>`
    : "";
  const codeLine = code
    ? `\n<p style="color:#475569;font-size:.875rem">${escapeHtml(frame.code)}: <code data-testid="code">${escapeHtml(code)}</code></p>`
    : "";
  const body = `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · TIM</title></head>
<body style="margin:0;font-family:system-ui,sans-serif;background:#f8fafc;color:#0f172a">${banner}
<main style="max-width:36rem;margin:3rem auto;padding:0 1rem">
<h1 style="font-size:1.5rem">${escapeHtml(title)}</h1>
<p data-testid="message">${escapeHtml(message)}</p>${codeLine}
<p><a href="/signin" style="color:#0369a1">${escapeHtml(frame.signInAgain)}</a> · <a href="/" style="color:#0369a1">${escapeHtml(frame.home)}</a></p>
</main></body></html>`;
  return new Response(body, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-language": locale },
  });
}

/** A failed login as a page in `locale`: TimError's status; anything else generic (503 for the database). */
export function errorPage(err: unknown, locale: UiLocale = "en"): Response {
  const frame = FRAME[locale];
  if (err instanceof TimError) {
    const texts = TEXTS[err.code];
    const text = locale === "en" ? { title: texts?.en ?? frame.failed.title, message: err.message } : (texts?.[locale] ?? frame.failed);
    return htmlPage(err.status, text.title, text.message, locale, err.code);
  }
  // errorResponse logs the failure (class and code only) and tells database outages (503) from the rest.
  const status = errorResponse(err).status;
  const text = status === 503 ? frame.database : frame.internal;
  return htmlPage(status, text.title, text.message, locale);
}
