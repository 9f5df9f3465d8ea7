import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { config } from "@/lib/config/env";
import { authSecret } from "@/lib/auth/secret";
import { recordWebSign } from "@/lib/auth/record-web-sign";
import { webUserFromTaraToken } from "@/lib/auth/tara-user";
import { pageSourceAddress } from "@/lib/http/address";
import { requestIdOf } from "@/lib/http/handler";
import { errorFields, log } from "@/lib/log/logger";
import { isSitePath } from "@/lib/tara/redirects";

/** Only this site: a sign-in never sends the browser to another origin. */
function onThisSite(url: string, baseUrl: string): string {
  if (isSitePath(url)) return new URL(url, baseUrl).toString();
  if (url.startsWith(`${baseUrl}/`)) return url;
  return new URL("/me", baseUrl).toString();
}

/**
 * next-auth for the web pages. TARA is the sign-in provider: the browser goes
 * through TIM's own TARA flow (/auth/login/tara → TARA → /auth/callback/tara),
 * which issues the TIM TARA JWT and its metadata; this provider then turns
 * that token (cookie) into a web session. One OIDC client serves both.
 */
export function authOptions(): NextAuthOptions {
  return {
    secret: authSecret(),
    useSecureCookies: config().secureCookies,
    session: { strategy: "jwt", maxAge: config().TARA_JWT_TTL_MINUTES * 60 },
    pages: { signIn: "/signin", error: "/signin" },
    // next-auth's lines as TIM's JSON: its code, and of an error only its class (its metadata may hold request data).
    logger: {
      error: (code, metadata) =>
        log.error("next-auth error", { code, ...errorFields(metadata instanceof Error ? metadata : (metadata as { error?: unknown })?.error) }),
      warn: (code) => log.warn("next-auth warning", { code }),
      debug: (code) => log.debug("next-auth debug", { code }),
    },
    providers: [
      CredentialsProvider({
        id: "tara",
        name: "TARA",
        credentials: {},
        authorize: async (_credentials, req) => {
          const user = await webUserFromTaraToken(req.headers?.cookie);
          const headers = new Headers(req.headers ?? {});
          if (user)
            await recordWebSign(
              "web.sign_in",
              { subject: user.id, sessionId: user.sessionId },
              { address: pageSourceAddress(headers), requestId: requestIdOf(headers) },
            );
          return user;
        },
      }),
    ],
    callbacks: {
      jwt: async ({ token, user }) => {
        if (user) {
          const u = user as { sessionId?: string };
          token.sid = u.sessionId;
        }
        return token;
      },
      session: async ({ session, token }) => ({
        ...session,
        user: { ...session.user, subject: token.sub, sessionId: token.sid },
      }),
      redirect: async ({ url, baseUrl }) => onThisSite(url, baseUrl),
    },
  };
}
