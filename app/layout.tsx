import type { Metadata } from "next";
import type { ReactNode } from "react";
import { StandInBanner } from "@/app/auth/_ui/stand-in-banner";
import "./globals.css";

// Every page is rendered per request: its scripts carry that response's CSP nonce (lib/http/page-headers.ts),
// which a page prerendered at build time could not.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "TIM — Token Identity Manager", template: "%s · TIM" },
  description: "Issues, records, validates and revokes signed JWTs; TARA login; audit console.",
  icons: { icon: "/favicon.svg" },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        {/* First in the tab order: past the banner and the console navigation to the page's own content. */}
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-sky-800 focus:underline focus:shadow"
        >
          Skip to main content
        </a>
        <StandInBanner />
        {children}
      </body>
    </html>
  );
}
