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
        <StandInBanner />
        {children}
      </body>
    </html>
  );
}
