/**
 * The paying browser: a checkout records the SHA-256 of a random token kept in
 * that browser's cookie (path /checkout), and the success page shows the new key
 * once, to that browser only, shortly after payment. Anyone else with the
 * success URL (a shared link, browser history, a proxy log) is asked to sign in.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../db/client";
import { checkoutSessions } from "../db/schema";

export const BUYER_COOKIE = "tz_buyer";
/** The cookie outlives a Stripe Checkout Session (24 h) a little. */
export const BUYER_COOKIE_MAX_AGE_S = 26 * 3600;
/** The success page reveals the key for this long after payment, once. */
export const KEY_REVEAL_WINDOW_MS = 30 * 60_000;

const TOKEN = /^[A-Za-z0-9_-]{32,128}$/;

export const newBuyerToken = () => randomBytes(32).toString("base64url");
export const isBuyerToken = (value: unknown): value is string => typeof value === "string" && TOKEN.test(value);
export const buyerTokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

/** True when `token` is the one the checkout was started with. */
export function isBuyerOf(row: { buyerTokenHash: string | null }, token: unknown): boolean {
  if (!row.buyerTokenHash || !isBuyerToken(token)) return false;
  const a = Buffer.from(buyerTokenHash(token), "hex");
  const b = Buffer.from(row.buyerTokenHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

export type RevealDecision = "reveal" | "not_buyer" | "already_revealed" | "too_late";

/**
 * Claims the one-time reveal of a paid checkout's key for this browser. Atomic:
 * of two concurrent loads (a double-click, a prefetch) exactly one reveals.
 */
export async function claimKeyReveal(
  sessionId: string,
  token: unknown,
  paidAt: Date,
  now = new Date(),
): Promise<RevealDecision> {
  const [row] = await getDb()
    .select({ buyerTokenHash: checkoutSessions.buyerTokenHash, keyRevealedAt: checkoutSessions.keyRevealedAt })
    .from(checkoutSessions)
    .where(eq(checkoutSessions.id, sessionId));
  if (!row || !isBuyerOf(row, token)) return "not_buyer";
  if (row.keyRevealedAt) return "already_revealed";
  if (now.getTime() - paidAt.getTime() > KEY_REVEAL_WINDOW_MS) return "too_late";
  const [claimed] = await getDb()
    .update(checkoutSessions)
    .set({ keyRevealedAt: now })
    .where(
      and(
        eq(checkoutSessions.id, sessionId),
        eq(checkoutSessions.buyerTokenHash, row.buyerTokenHash!),
        isNull(checkoutSessions.keyRevealedAt),
      ),
    )
    .returning({ id: checkoutSessions.id });
  return claimed ? "reveal" : "already_revealed";
}

/** `alice@example.com` → `a***@example.com`: enough to recognise, not to harvest. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "***";
  return `${email[0]}***${email.slice(at)}`;
}
