/**
 * The portal's side of air-gapped activation (docs/AIR-GAPPED.md), against PostgreSQL.
 *
 * Invariants attacked here:
 * - installations able to run (active, or holding an unexpired license file) never exceed
 *   `maxActivations`, however many request files are uploaded at once, mixed with online activations;
 * - a request file or code that is malformed, forged, for another license or stale changes nothing;
 * - a license file never outlives the license, and a held slot lasts as long as the file.
 */

import { createHmac } from "node:crypto";
import { getDb } from "@ticketzero/core/db/client";
import { licenses } from "@ticketzero/core/db/schema";
import { activateLicense, deactivateInstallation, releaseHeldSlot } from "@ticketzero/core/license/activations";
import { publicJwks } from "@ticketzero/core/license/certificate";
import { culledMail, cullSilentInstallations } from "@ticketzero/core/license/heartbeats";
import { statusByKey } from "@ticketzero/core/license/license-status";
import { issueLicense, suspendLicense } from "@ticketzero/core/license/licenses";
import { deactivateWithCode, issueLicenseFile } from "@ticketzero/core/license/offline";
import { resetConfig } from "@ticketzero/core/server/config";
import { resetRateLimiters } from "@ticketzero/core/server/rate-limit";
import { eq, sql } from "drizzle-orm";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testInstallation } from "../support/air-gapped-installation";
import { testEmail } from "../support/http";

const ctx = { actor: "test:air-gapped" };

async function license(maxActivations = 2, days = 365, swapsPer30Days?: number) {
  const issued = await issueLicense(
    {
      plan: "professional",
      email: testEmail("airgap"),
      limits: { maxActivations },
      expiresAt: new Date(Date.now() + days * 86_400_000),
    },
    { actor: "test" },
  );
  if (swapsPer30Days !== undefined) {
    await getDb().update(licenses).set({ swapsPer30Days }).where(eq(licenses.id, issued.license.id));
  }
  return issued;
}

async function fileClaims(fileText: string) {
  const file = JSON.parse(fileText) as { type: string; v: number; license: string; keySetTokens: string[] };
  expect(file).toMatchObject({ type: "ticketzero-license-file", v: 1 });
  expect(file.keySetTokens.length).toBeGreaterThan(0);
  const jwks = createLocalJWKSet(publicJwks() as unknown as Parameters<typeof createLocalJWKSet>[0]);
  const { payload } = await jwtVerify(file.license, jwks, { algorithms: ["EdDSA"], typ: "tz-license-file+jwt" });
  return { header: decodeProtectedHeader(file.license), payload: payload as Record<string, unknown> };
}

async function slotsUsed(key: string) {
  return (await statusByKey(key, null)).slots?.used;
}

async function rowsOf(licenseId: string) {
  return [
    ...(await getDb().execute<{
      instance_id: string;
      kind: string;
      deactivated_at: Date | null;
      slot_frees_at: Date | null;
    }>(
      sql`select instance_id, kind, deactivated_at, slot_frees_at from activations where license_id = ${licenseId} order by instance_id`,
    )),
  ];
}

describe("air-gapped activation: request file → license file", () => {
  it("answers a signed license file bound to the installation, and takes a slot", async () => {
    const { license: row, key } = await license(2, 30);
    const installation = testInstallation();
    const issued = await issueLicenseFile(installation.request(key), { licenseId: row.id }, ctx);
    const { header, payload } = await fileClaims(issued.fileText);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "tz-license-file+jwt" });
    expect(payload).toMatchObject({
      lid: row.id,
      plan: "professional",
      instanceId: installation.instanceId,
      ipk: installation.publicKey,
      limits: { maxClients: row.maxClients, maxTicketsPerMonth: row.maxTicketsPerMonth, maxActivations: 2 },
    });
    // Never past the license's own end (30 days here, under the 90-day maximum).
    expect(payload.exp as number).toBeLessThanOrEqual(Math.floor(row.expiresAt.getTime() / 1000));
    expect(issued.expiresAt.getTime()).toBeLessThanOrEqual(row.expiresAt.getTime());
    expect(await slotsUsed(key)).toBe(1);
    expect((await rowsOf(row.id))[0]).toMatchObject({ kind: "air_gapped", deactivated_at: null });
  });

  it("caps the file at OFFLINE_LICENSE_MAX_DAYS (90) for a longer license", async () => {
    const { license: row, key } = await license(1, 365);
    const issued = await issueLicenseFile(testInstallation().request(key), { licenseId: row.id }, ctx);
    const days = (issued.expiresAt.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
  });

  it("the same request twice answers the same file; a new request (renewal) a new file for the same slot", async () => {
    const { license: row, key } = await license(1);
    const installation = testInstallation();
    const request = installation.request(key);
    const first = await issueLicenseFile(request, { licenseId: row.id }, ctx);
    const again = await issueLicenseFile(request, { licenseId: row.id }, ctx);
    expect(again.fileText).toBe(first.fileText);
    const renewed = await issueLicenseFile(installation.request(key), { licenseId: row.id }, ctx);
    expect(renewed.renewal).toBe(true);
    const [a, b] = [await fileClaims(first.fileText), await fileClaims(renewed.fileText)];
    expect(b.payload.jti).not.toBe(a.payload.jti);
    expect(b.payload.nonce).not.toBe(a.payload.nonce);
    expect(await slotsUsed(key)).toBe(1);
  });

  it("holds maxActivations exactly when request files and online activations race", async () => {
    const { license: row, key } = await license(2);
    const uploads = Array.from({ length: 6 }, () =>
      issueLicenseFile(testInstallation().request(key), { licenseId: row.id }, ctx),
    );
    const online = Array.from({ length: 3 }, (_, i) =>
      activateLicense({ licenseKey: key, instanceId: `online-${i}-${Date.now()}` }, ctx),
    );
    const results = await Promise.allSettled([...uploads, ...online]);
    const won = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code);
    expect(won).toHaveLength(2);
    expect(new Set(refused)).toEqual(new Set(["ACTIVATION_LIMIT_REACHED"]));
    expect(await slotsUsed(key)).toBe(2);
    expect((await rowsOf(row.id)).filter((r) => r.deactivated_at === null)).toHaveLength(2);
  });

  it("refuses malformed, forged, foreign and stale requests with a stable code and changes nothing", async () => {
    const { license: row, key } = await license(3);
    const other = await license(3);
    const installation = testInstallation();
    const good = JSON.parse(installation.request(key)) as Record<string, string>;
    const cases: Array<[string, string]> = [
      ["not json {", "INVALID_REQUEST_FILE"],
      [JSON.stringify({ ...good, extra: 1 }), "INVALID_REQUEST_FILE"],
      [JSON.stringify({ ...good, signature: good.proof }), "INVALID_REQUEST_FILE"],
      [JSON.stringify({ ...good, request: good.request!.slice(0, -2) }), "INVALID_REQUEST_FILE"],
      [`{"x":"${"a".repeat(17_000)}"}`, "INVALID_REQUEST_FILE"],
      [installation.request(key, { payload: { instanceId: "bad id; drop table" } }), "INVALID_REQUEST_FILE"],
      [installation.request(key, { payload: { surprise: true } }), "INVALID_REQUEST_FILE"],
      [installation.request(key, { proofKey: other.key }), "REQUEST_FOR_OTHER_LICENSE"],
      [installation.request(other.key), "REQUEST_FOR_OTHER_LICENSE"],
      [
        installation.request(key, { payload: { createdAt: new Date(Date.now() - 31 * 86_400_000).toISOString() } }),
        "REQUEST_EXPIRED",
      ],
    ];
    for (const [text, code] of cases) {
      await expect(issueLicenseFile(text, { licenseId: row.id }, ctx), code).rejects.toMatchObject({ code });
    }
    expect(await rowsOf(row.id)).toHaveLength(0);
  });

  it("refuses another instance key for an instance id that holds a file, and a suspended license", async () => {
    const { license: row, key } = await license(3);
    const installation = testInstallation();
    await issueLicenseFile(installation.request(key), { licenseId: row.id }, ctx);
    const impostor = testInstallation(installation.instanceId);
    await expect(issueLicenseFile(impostor.request(key), { licenseId: row.id }, ctx)).rejects.toMatchObject({
      code: "INSTANCE_KEY_MISMATCH",
    });
    await suspendLicense(key, ctx);
    await expect(issueLicenseFile(testInstallation().request(key), { licenseId: row.id }, ctx)).rejects.toMatchObject({
      code: "LICENSE_SUSPENDED",
    });
    expect(await rowsOf(row.id)).toHaveLength(1);
  });

  it("a request file carries no random character of the key, and its proof resists guessing (PBKDF2)", async () => {
    const { license: trial, key } = await issueLicense(
      { plan: "trial", email: testEmail("airgap-trial") },
      { actor: "test" },
    );
    const text = testInstallation().request(key);
    const random = key.slice("TZ-TRIAL-".length);
    for (let i = 0; i + 3 < random.length; i++) expect(text).not.toContain(random.slice(i, i + 4));
    // A proof made with the key's HMAC alone (no PBKDF2) is refused: the slow derivation is required.
    const fast = JSON.parse(text) as Record<string, string>;
    const mac = createHmac("sha256", key).update(`tz-activation-request:v1.${fast.request}`).digest("base64url");
    await expect(
      issueLicenseFile(JSON.stringify({ ...fast, proof: mac }), { licenseId: trial.id }, ctx),
    ).rejects.toMatchObject({ code: "REQUEST_FOR_OTHER_LICENSE" });
    await issueLicenseFile(text, { licenseId: trial.id }, ctx);
  });

  it("an old request uploaded again is refused: after a renewal replaced it, and after its code freed the slot", async () => {
    const { license: row, key } = await license(2);
    const installation = testInstallation();
    const first = installation.request(key);
    const issued = await issueLicenseFile(first, { licenseId: row.id }, ctx);
    const jti = (await fileClaims(issued.fileText)).payload.jti as string;
    const renewal = installation.request(key);
    await issueLicenseFile(renewal, { licenseId: row.id }, ctx);
    await expect(issueLicenseFile(first, { licenseId: row.id }, ctx)).rejects.toMatchObject({
      code: "REQUEST_ALREADY_USED",
    });
    // The renewal was uploaded but not imported: the installation's code names the older file
    // and its newest request, which the current file answers. It frees the slot.
    const code = installation.deactivationCode(row.id, jti);
    const freed = await deactivateWithCode(code, { licenseId: row.id }, ctx, "account");
    expect(freed.alreadyDeactivated).toBe(false);
    expect(await slotsUsed(key)).toBe(0);
    for (const old of [first, renewal]) {
      await expect(issueLicenseFile(old, { licenseId: row.id }, ctx)).rejects.toMatchObject({
        code: "REQUEST_ALREADY_USED",
      });
    }
    expect(await slotsUsed(key)).toBe(0);
  });

  it("an instance freed by its code and back online: its old code frees nothing, and it is an online installation again", async () => {
    const { license: row, key } = await license(1);
    const installation = testInstallation();
    const issued = await issueLicenseFile(installation.request(key), { licenseId: row.id }, ctx);
    const code = installation.deactivationCode(row.id, (await fileClaims(issued.fileText)).payload.jti as string);
    await deactivateWithCode(code, { licenseId: row.id }, ctx, "account");
    await activateLicense({ licenseKey: key, instanceId: installation.instanceId }, ctx);
    expect((await statusByKey(key, installation.instanceId)).certificate).toBeTruthy();
    // An online installation now: no instance key to verify a code with, so the old code is no code.
    await expect(deactivateWithCode(code, { licenseId: row.id }, ctx, "account")).rejects.toMatchObject({
      code: "INVALID_DEACTIVATION_CODE",
    });
    expect(await slotsUsed(key)).toBe(1);
    expect((await rowsOf(row.id))[0]).toMatchObject({ kind: "online", deactivated_at: null });
  });

  it("staff cannot release the held slot of a license file that may still run", async () => {
    const { license: row, key } = await license(1);
    const installation = testInstallation();
    await issueLicenseFile(installation.request(key), { licenseId: row.id }, ctx);
    await deactivateInstallation({ licenseId: row.id }, installation.instanceId, ctx, "staff");
    await expect(releaseHeldSlot(row.id, installation.instanceId, "lost machine", ctx)).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await slotsUsed(key)).toBe(1);
  });

  it("an air-gapped installation whose file expired is deactivated by the heartbeat job, in its own words", async () => {
    const { license: row, key } = await license(1);
    await issueLicenseFile(testInstallation().request(key), { licenseId: row.id }, ctx);
    const later = new Date(Date.now() + 91 * 86_400_000);
    expect((await statusByKey(key, null, later)).slots?.used).toBe(1);
    const run = await cullSilentInstallations(later, { licenseIds: [row.id], mail: false });
    expect(run.culled).toHaveLength(1);
    expect(run.culled[0]!.licenseFileExpiredAt).not.toBeNull();
    expect(culledMail(run.culled[0]!).text).toContain("license file of the air-gapped TicketZero AI installation");
    expect((await statusByKey(key, null, later)).slots?.used).toBe(0);
  });

  it("one installation is online or air-gapped, never both: no online certificate for a file, no file for an online installation", async () => {
    const { license: row, key } = await license(1);
    const installation = testInstallation();
    await issueLicenseFile(installation.request(key), { licenseId: row.id }, ctx);
    // Online, the air-gapped instance is not activated: no certificate, and it cannot activate.
    const online = await statusByKey(key, installation.instanceId);
    expect(online.activation).toBeNull();
    expect(online.certificate).toBeUndefined();
    await expect(activateLicense({ licenseKey: key, instanceId: installation.instanceId }, ctx)).rejects.toMatchObject({
      code: "INSTANCE_AIR_GAPPED",
    });

    // The other way: a live online installation's id cannot be bound to a (freshly made) instance key.
    const other = await license(1, 365, 0);
    await activateLicense({ licenseKey: other.key, instanceId: "online-1" }, ctx);
    await expect(
      issueLicenseFile(testInstallation("online-1").request(other.key), { licenseId: other.license.id }, ctx),
    ).rejects.toMatchObject({ code: "INSTANCE_ACTIVE_ONLINE" });
    // …nor once it is deactivated with its slot held by its certificate (no swaps): the code would free it.
    await deactivateInstallation({ licenseId: other.license.id }, "online-1", ctx, "account");
    await expect(
      issueLicenseFile(testInstallation("online-1").request(other.key), { licenseId: other.license.id }, ctx),
    ).rejects.toMatchObject({ code: "INSTANCE_ACTIVE_ONLINE" });
    expect((await rowsOf(other.license.id)).map((r) => r.kind)).toEqual(["online"]);
  });

  it("the heartbeat never deactivates an air-gapped installation", async () => {
    const { license: row, key } = await license(2);
    await issueLicenseFile(testInstallation().request(key), { licenseId: row.id }, ctx);
    const run = await cullSilentInstallations(new Date(Date.now() + 60 * 86_400_000), {
      licenseIds: [row.id],
      mail: false,
    });
    expect(run.culled).toHaveLength(0);
  });
});

describe("air-gapped deactivation", () => {
  async function airGapped(maxActivations = 1) {
    const { license: row, key } = await license(maxActivations);
    const installation = testInstallation();
    const issued = await issueLicenseFile(installation.request(key), { licenseId: row.id }, ctx);
    const { payload } = await fileClaims(issued.fileText);
    return { row, key, installation, jti: payload.jti as string };
  }

  it("a signed code frees the slot at once without spending a swap; the same code again changes nothing", async () => {
    const { row, key, installation, jti } = await airGapped();
    const swapsBefore = (await statusByKey(key, null)).slots?.swapsLeft;
    const code = installation.deactivationCode(row.id, jti);
    const freed = await deactivateWithCode(code, { licenseId: row.id }, ctx, "account");
    expect(freed).toMatchObject({ alreadyDeactivated: false, swapUsed: false });
    expect(await slotsUsed(key)).toBe(0);
    expect((await statusByKey(key, null)).slots?.swapsLeft).toBe(swapsBefore);
    // Pasted with line breaks, twice: the earlier result.
    const again = await deactivateWithCode(
      `${code.slice(0, 40)}\n${code.slice(40)}`,
      { licenseId: row.id },
      ctx,
      "account",
    );
    expect(again.alreadyDeactivated).toBe(true);
    await activateLicense({ licenseKey: key, instanceId: "replacement" }, ctx);
  });

  it("refuses forged, foreign and stale codes, and frees nothing", async () => {
    const { row, key, installation, jti } = await airGapped();
    const stranger = testInstallation(installation.instanceId);
    const other = await license(1);
    const cases: Array<[string, string, { licenseId: string }]> = [
      ["TZDC1.garbage", "INVALID_DEACTIVATION_CODE", { licenseId: row.id }],
      ["", "INVALID_DEACTIVATION_CODE", { licenseId: row.id }],
      [
        installation.deactivationCode(row.id, jti, { signer: stranger.privateKey }),
        "INVALID_DEACTIVATION_CODE",
        { licenseId: row.id },
      ],
      [installation.deactivationCode(row.id, jti), "INVALID_DEACTIVATION_CODE", { licenseId: other.license.id }],
      [
        installation.deactivationCode(row.id, "an-older-file", { nonce: "AAAAAAAAAAAAAAAAAAAAAA" }),
        "DEACTIVATION_CODE_STALE",
        { licenseId: row.id },
      ],
    ];
    for (const [code, expected, scope] of cases) {
      await expect(deactivateWithCode(code, scope, ctx, "account"), expected).rejects.toMatchObject({ code: expected });
    }
    expect(await slotsUsed(key)).toBe(1);
  });

  it("without its code, the slot is held until the file expires (no swap); the code still frees it", async () => {
    const { row, key, installation, jti } = await airGapped(1);
    const plain = await deactivateInstallation({ licenseId: row.id }, installation.instanceId, ctx, "account");
    expect(plain.swapUsed).toBe(false);
    expect(plain.slotFreesAt.getTime()).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    await expect(activateLicense({ licenseKey: key, instanceId: "next-one" }, ctx)).rejects.toMatchObject({
      code: "ACTIVATION_LIMIT_REACHED",
    });
    await deactivateWithCode(installation.deactivationCode(row.id, jti), { licenseId: row.id }, ctx, "account");
    await activateLicense({ licenseKey: key, instanceId: "next-one" }, ctx);
    expect(await slotsUsed(key)).toBe(1);
  });
});

describe("air-gapped uploads are budgeted before the proof's key derivation", () => {
  const saved = process.env.RATE_LIMIT_REQUEST_FILES_PER_HOUR;
  beforeAll(() => {
    process.env.RATE_LIMIT_REQUEST_FILES_PER_HOUR = "3";
    resetConfig();
    resetRateLimiters();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.RATE_LIMIT_REQUEST_FILES_PER_HOUR;
    else process.env.RATE_LIMIT_REQUEST_FILES_PER_HOUR = saved;
    resetConfig();
    resetRateLimiters();
  });

  it("a license checks 3 request files an hour here, wrong proofs included; the 4th is RATE_LIMITED and takes nothing", async () => {
    const { license: row, key } = await license(5);
    const other = await license(1);
    const installation = testInstallation();
    for (let i = 0; i < 2; i++) {
      await expect(issueLicenseFile(installation.request(other.key), { licenseId: row.id }, ctx)).rejects.toMatchObject(
        { code: "REQUEST_FOR_OTHER_LICENSE" },
      );
    }
    await issueLicenseFile(installation.request(key), { licenseId: row.id }, ctx);
    await expect(issueLicenseFile(testInstallation().request(key), { licenseId: row.id }, ctx)).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
    expect(await slotsUsed(key)).toBe(1);
  });
});
