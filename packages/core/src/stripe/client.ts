/**
 * The Stripe SDK, configured from the environment:
 * - `STRIPE_SECRET_KEY`: the account's secret key. Without it the portal runs a
 *   clearly labelled test-mode checkout (development only: production refuses
 *   to start without it, see assertProductionReady, and refuses test checkouts).
 * - `STRIPE_WEBHOOK_SECRET`: the `whsec_…` signing secret of the webhook endpoint.
 * - `STRIPE_API_BASE` (optional): another API origin, e.g. `http://127.0.0.1:12111`
 *   for a local stand-in (tests) or stripe-mock.
 */
import Stripe from "stripe";
import { LicenseError } from "../license/errors";
import { config } from "../server/config";

let current: { signature: string; client: Stripe } | null = null;

/** True when no Stripe key is configured: checkout runs in test mode and charges nothing. */
export function isTestMode(): boolean {
  return !config().stripe.secretKey;
}

/** Test-mode checkout never runs in production, whatever else is configured. */
export function assertTestModeAllowed(): void {
  if (config().isProduction) {
    throw new LicenseError(
      "FORBIDDEN",
      "Test-mode checkout is disabled in production. Set STRIPE_SECRET_KEY to take real payments.",
    );
  }
}

/** Host, port and protocol options for the SDK from `STRIPE_API_BASE`, if set. */
export function apiBaseOptions(
  base = config().stripe.apiBase ?? undefined,
): Pick<Stripe.StripeConfig, "host" | "port" | "protocol"> {
  if (!base) return {};
  const url = new URL(base);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
  };
}

/** The process's Stripe client (rebuilt if the key or base changes, e.g. between tests). */
export function stripeClient(): Stripe {
  const key = config().stripe.secretKey;
  if (!key) throw new Error("STRIPE_SECRET_KEY is not set (test mode has no Stripe client)");
  const signature = `${key}\n${config().stripe.apiBase ?? ""}`;
  if (current?.signature !== signature) {
    const client = new Stripe(key, {
      ...apiBaseOptions(),
      maxNetworkRetries: 2,
      timeout: 20_000,
      appInfo: { name: "ticketzero-license-portal" },
      typescript: true,
    });
    current = { signature, client };
  }
  return current.client;
}

export function webhookSecret(): string | null {
  return config().stripe.webhookSecret;
}

/** The lookup key of a paid plan's yearly price (scripts/stripe-setup.ts creates them). */
export const priceLookupKey = (plan: string) => `ticketzero_${plan}_yearly`;

/** An expandable field's id (Stripe sends either the id or the expanded object). */
export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}
