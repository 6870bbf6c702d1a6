/** Keys at rest: the database holds an HMAC and a ciphertext, never the key in clear. */
import { createHmac } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import { findByKey, issueLicense } from "@ticketzero/core/license/licenses";
import { decryptKey, encryptKey, hashKey } from "@ticketzero/core/license/vault";
import { secrets } from "@ticketzero/core/server/secrets";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testEmail } from "../support/http";

describe("vault", () => {
  it("the licenses row holds an HMAC hex digest and a ciphertext that decrypts to the key", async () => {
    for (const plan of ["trial", "starter", "professional", "enterprise"] as const) {
      const { license, key } = await issueLicense({ plan, email: testEmail("vault") }, { actor: "test" });
      const rows = await getDb().execute<Record<string, unknown>>(sql`select * from licenses where id = ${license.id}`);
      const row = rows[0]!;
      const keyHash = row.key_hash as string;
      const ciphertext = row.key_ciphertext as string;
      expect(keyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(keyHash).toBe(createHmac("sha256", secrets().hmacSecret).update(key).digest("hex"));
      expect(keyHash).toBe(hashKey(key));
      expect(decryptKey(ciphertext)).toBe(key);
      // Nowhere in the row, in any case, does the clear key appear.
      const whole = JSON.stringify(row);
      expect(whole).not.toContain(key);
      expect(whole.toUpperCase()).not.toContain(key);
      expect(whole).not.toContain(key.slice(-14)); // not even the random part without its prefix
      expect(row.key_masked).toBe(
        `${key.slice(0, key.indexOf("-", 3) + 1)}${plan === "trial" ? "****" : "****-****-****-"}${key.slice(-4)}`,
      );
      expect((await findByKey(key.toLowerCase())).id).toBe(license.id);
    }
  });

  it("ciphertexts are randomised and authenticated", () => {
    const key = "TZ-PRO-ABCD-EFGH-JKMN-PQRS";
    const a = encryptKey(key);
    const b = encryptKey(key);
    expect(a).not.toBe(b);
    expect(decryptKey(a)).toBe(key);
    const [kid, iv, tag, body] = a.split(".") as [string, string, string, string];
    const flipped = body.startsWith("A") ? `B${body.slice(1)}` : `A${body.slice(1)}`;
    expect(() => decryptKey([kid, iv, tag, flipped].join("."))).toThrow();
    expect(() => decryptKey(["no-such-kid", iv, tag, body].join("."))).toThrow();
  });
});
