import "server-only";
import { config } from "@ticketzero/core/server/config";
import { BUYER_COOKIE, BUYER_COOKIE_MAX_AGE_S, isBuyerToken, newBuyerToken } from "@ticketzero/core/stripe/buyer";
import { cookies } from "next/headers";

/** This browser's buyer token, or null (read anywhere under /checkout). */
export async function readBuyerToken(): Promise<string | null> {
  const value = (await cookies()).get(BUYER_COOKIE)?.value;
  return isBuyerToken(value) ? value : null;
}

/**
 * The token a new checkout is bound to: the browser's existing one (so two
 * checkouts in one browser both reveal there), else a new one. Server actions only.
 */
export async function ensureBuyerToken(): Promise<string> {
  const token = (await readBuyerToken()) ?? newBuyerToken();
  (await cookies()).set(BUYER_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax", // sent on the top-level return from Stripe Checkout
    secure: config().isProduction,
    path: "/checkout",
    maxAge: BUYER_COOKIE_MAX_AGE_S,
  });
  return token;
}
