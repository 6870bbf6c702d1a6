import { SERVER_ACTION_BODY_LIMIT_BYTES } from "@ticketzero/core/http/limits";
import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Loaded from node_modules at run time, never bundled: one instance per process for the
  // launcher's fast path, both Next.js server runtimes, the CLI and the timers (scripts/build-core.ts).
  // Security headers are set at run time by the launcher (@ticketzero/core/server/security-headers).
  // Server action forms are a few fields or one small file; the launcher refuses larger posts with
  // a 413 first (http/limits.ts, http/front-door.ts); the JSON API has its own limit (MAX_BODY_BYTES).
  // authInterrupts: forbidden() answers a signed-in customer on /staff with a real 403 (app/forbidden.tsx).
  // Not `inlineCss`: it also copies the stylesheet into the RSC payload (164 KB of inline scripts on /
  // instead of 53 KB), and parsing that costs more blocking time than the saved request gains.
  experimental: { serverActions: { bodySizeLimit: SERVER_ACTION_BODY_LIMIT_BYTES }, authInterrupts: true },
  serverExternalPackages: [
    "@ticketzero/core",
    "drizzle-orm",
    "postgres",
    "stripe",
    "rate-limiter-flexible",
    "nodemailer",
    "@auth/drizzle-adapter",
    // The job runner (server/jobs.ts) and its driver: loaded by the launcher, never bundled.
    "graphile-worker",
    "pg",
  ],
};

export default config;
