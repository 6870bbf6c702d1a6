/**
 * License keys: `TZ-STA|PRO|ENT-XXXX-XXXX-XXXX-XXXX` (80 random bits) and
 * `TZ-TRIAL-XXXXXXXX` (40 bits), X in Crockford base32, from a CSPRNG.
 */
import { randomBytes } from "node:crypto";
import { PLANS, type PlanId } from "./plans";

export const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHAR = "[0-9A-HJKMNP-TV-Z]";
const PAID_KEY = new RegExp(`^TZ-(STA|PRO|ENT)-(${CHAR}{4})-(${CHAR}{4})-(${CHAR}{4})-(${CHAR}{4})$`);
const TRIAL_KEY = new RegExp(`^TZ-TRIAL-(${CHAR}{8})$`);
const PREFIX_TO_PLAN: Record<string, PlanId> = { STA: "starter", PRO: "professional", ENT: "enterprise" };

export type ParsedKey = { key: string; plan: PlanId };

/** Crockford base32 of `bytes`, 5 bits a character. */
function encodeBase32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out;
}

export function generateKey(plan: PlanId): string {
  if (plan === "trial") return `TZ-TRIAL-${encodeBase32(randomBytes(5))}`;
  const body = encodeBase32(randomBytes(10));
  return `TZ-${PLANS[plan].keyPrefix}-${body.match(/.{4}/g)!.join("-")}`;
}

/** Trims and upper-cases, then checks the shape. Null means INVALID_FORMAT. */
export function parseKey(input: unknown): ParsedKey | null {
  if (typeof input !== "string" || input.length > 64) return null;
  const key = input.trim().toUpperCase();
  const paid = PAID_KEY.exec(key);
  if (paid) return { key, plan: PREFIX_TO_PLAN[paid[1]!]! };
  if (TRIAL_KEY.test(key)) return { key, plan: "trial" };
  return null;
}

/** `TZ-PRO-****-****-****-7K2Q`, `TZ-TRIAL-****7K2Q`: safe for logs, lists and errors. */
export function maskKey(key: string): string {
  if (key.startsWith("TZ-TRIAL-")) return `TZ-TRIAL-****${key.slice(-4)}`;
  const parts = key.split("-");
  if (parts.length !== 6) return "TZ-****";
  return `TZ-${parts[1]}-****-****-****-${parts[5]}`;
}

export const KEY_FORMAT_MESSAGE =
  "That is not a TicketZero license key. Paid keys look like TZ-PRO-XXXX-XXXX-XXXX-XXXX, trial keys like TZ-TRIAL-XXXXXXXX.";

/** The all-X examples in messages are not keys. */
const EXAMPLE_KEY = /^TZ-[A-Z]+-[X-]+$/i;

/** Masks anything that looks like a key inside free text (error messages, logs): license keys,
 * staff API tokens (`tzs_…`) and webhook signing secrets (`whsec_…`). */
export function maskKeysIn(text: string): string {
  return text
    .replace(/TZ-[A-Z]{3,5}-[0-9A-Z-]{8,19}/gi, (match) => {
      if (EXAMPLE_KEY.test(match)) return match;
      const parsed = parseKey(match);
      return parsed ? maskKey(parsed.key) : "TZ-****";
    })
    .replace(/\b(tzs_|whsec_)[A-Za-z0-9_+/=-]{8,}/g, (_match, prefix: string) => `${prefix}****`);
}
