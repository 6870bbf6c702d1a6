/**
 * Headers on every response, pages and API alike, decided at run time from
 * the running configuration (not at build time): the launcher sets them on
 * every request before the fast path or Next.js answers it.
 */
import { config } from "./config";

let cached: Record<string, string> | null = null;

export function securityHeaders(): Record<string, string> {
  if (cached) return cached;
  const { isProduction, devServer } = config();
  // Next.js inlines its bootstrap scripts, hence 'unsafe-inline' for scripts; `next dev` also needs eval and its socket.
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${devServer ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${devServer ? " ws:" : ""}`,
    "form-action 'self' https://checkout.stripe.com",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
  ].join("; ");
  cached = {
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    ...(isProduction ? { "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload" } : {}),
  };
  return cached;
}
