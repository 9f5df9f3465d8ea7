/** @type {import('next').NextConfig} */
const nextConfig = {
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
