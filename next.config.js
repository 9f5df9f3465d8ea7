/**
 * Security headers on every page Next serves. No script-src yet: Next's inline
 * scripts would need per-request nonces (proxy), not verified in time.
 * No form-action: the sign-in form posts to next-auth, which redirects to TARA
 * (another origin), and Chromium applies form-action to that redirect.
 * Referrer-Policy is not no-referrer: that would send `Origin: null` on TIM's own
 * form posts, which the server-action origin check refuses.
 */
export const pageSecurityHeaders = [
  { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; object-src 'none'" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  headers: async () => [{ source: "/:path*", headers: pageSecurityHeaders }],
  reactStrictMode: true,
  // Lets a second build (e.g. an end-to-end run) live beside the main one.
  distDir: process.env.TIM_NEXT_DIST_DIR || ".next",
  // `npm test` type-checks the whole project with tsc; the build need not repeat it.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  // forbidden() answers a real 403 to signed-in non-administrators in the console.
  experimental: { authInterrupts: true },
  // PGlite ships WASM and data files it loads from its own package folder.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@node-rs/argon2", "oidc-provider"],
};

export default nextConfig;
