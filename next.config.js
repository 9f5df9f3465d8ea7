/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // Lets a second build (e.g. an end-to-end run) live beside the main one.
  distDir: process.env.TIM_NEXT_DIST_DIR || ".next",
  // `npm test` type-checks the whole project with tsc; the build need not repeat it.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  experimental: {
    // forbidden() answers a real 403 to signed-in non-administrators in the console.
    authInterrupts: true,
    // Pages load on first use, not all at start: each entry carries its own copy of the server runtime
    // (1.7 MB of source, and its source map), so preloading made memory grow with every page added (issue 13).
    preloadEntriesOnStart: false,
    // No server source maps: tsx enables source maps for the process, so Node would parse and keep each map
    // (with the sources of every bundled library) in memory; stack traces of TIM's own code are unaffected.
    serverSourceMaps: false,
    turbopackSourceMaps: false,
  },
  // PGlite ships WASM and data files it loads from its own package folder.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@node-rs/argon2", "oidc-provider"],
};

export default nextConfig;
