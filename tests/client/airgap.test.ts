/**
 * Air-gapped activation in the TypeScript client (docs/AIR-GAPPED.md): the request file, the
 * five import rules, answers from the license file with no network call, local usage limits,
 * clock rollback and the deactivation code. The portal's side is tests/client/support/offline-portal.ts.
 */
import { spawnSync } from "node:child_process";
import { createHmac, generateKeyPairSync, pbkdf2Sync, verify } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { publicJwks, signCertificate } from "@ticketzero/core/license/certificate";
import { generateKey, maskKey as portalMaskKey } from "@ticketzero/core/license/keys";
import { PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { describe, expect, it } from "vitest";
import { CacheStore } from "../../packages/client/src/cache";
import {
  CLIENT_CODES,
  CLIENT_VERSION,
  createLicenseClient,
  type FetchLike,
  type JsonWebKeySet,
  keyPrefix,
  type LicenseClientOptions,
  LicenseError,
  maskKey,
  verifyCertificate,
} from "../../packages/client/src/index";
import { DAY, fakeClock, tempDir } from "./support/helpers";
import {
  type IssueOptions,
  instancePublicKey,
  issueLicenseFile,
  type OfflineLicense,
  verifyDeactivationCode,
} from "./support/offline-portal";

/** Air-gapped means no network: any fetch fails the test. */
const calls: string[] = [];
const noNetwork: FetchLike = async (input) => {
  calls.push(input);
  throw new Error(`network call in an air-gapped test: ${input}`);
};

function license(plan: PlanId = "professional", expiresInDays = 365): OfflineLicense {
  return {
    id: crypto.randomUUID(),
    key: generateKey(plan),
    plan,
    features: [...PLANS[plan].features],
    limits: { ...PLANS[plan].limits },
    expiresAt: new Date(Date.now() + expiresInDays * DAY),
  };
}

/** An air-gapped installation: no serverUrl, the portal's keys as the trust anchor, a test clock. */
function installation(lic: OfflineLicense, extra: Partial<LicenseClientOptions> = {}) {
  const clock = fakeClock();
  const dataDir = extra.dataDir ?? tempDir("tz-airgap-");
  const jwks = { keys: publicJwks().keys } as JsonWebKeySet;
  const client = createLicenseClient({
    licenseKey: lic.key,
    dataDir,
    jwks,
    now: clock.now,
    fetch: noNetwork,
    ...extra,
  });
  return { client, clock, dataDir };
}

/** Writes a request, has the portal stand-in answer it, and imports the answer. */
async function activated(lic = license(), options: IssueOptions = {}) {
  const inst = installation(lic);
  const { content } = await inst.client.writeActivationRequest();
  const file = issueLicenseFile(content, lic, { now: inst.clock.now(), ...options });
  const status = await inst.client.importLicenseFile(file);
  return { ...inst, lic, file, status };
}

async function refusal(promise: Promise<unknown>): Promise<LicenseError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LicenseError);
  return error as LicenseError;
}

describe("activation request file", () => {
  it("carries every member of the contract, with a PBKDF2-keyed proof and a signature that verify", async () => {
    const lic = license();
    const { client, clock, dataDir } = installation(lic, { instanceName: "Main office" });
    const out = path.join(dataDir, "request.json");
    const written = await client.writeActivationRequest(out);

    expect(written.path).toBe(out);
    const text = fs.readFileSync(out, "utf8");
    expect(text).toBe(written.content);
    expect(Buffer.byteLength(text)).toBeLessThan(16 * 1024);
    const file = JSON.parse(text);
    expect(Object.keys(file).sort()).toEqual(["proof", "request", "signature", "type", "v"]);
    expect(file).toMatchObject({ type: "ticketzero-activation-request", v: 1 });

    const payload = JSON.parse(Buffer.from(file.request, "base64url").toString("utf8"));
    expect(Object.keys(payload).sort()).toEqual(
      ["client", "createdAt", "instanceId", "instanceName", "keyPrefix", "nonce", "publicKey", "v"].sort(),
    );
    expect(payload).toMatchObject({
      v: 1,
      keyPrefix: "TZ-PRO",
      instanceId: client.instanceId,
      instanceName: "Main office",
      createdAt: clock.now().toISOString(),
      client: `ticketzero-license-client-ts/${CLIENT_VERSION}`,
    });
    expect(Buffer.from(payload.nonce, "base64url")).toHaveLength(16);
    expect(Buffer.from(payload.publicKey, "base64url")).toHaveLength(32);
    expect(written.request).toEqual(payload);

    const signed = Buffer.from(`tz-activation-request:v1.${file.request}`);
    // proofKey = PBKDF2-HMAC-SHA256(normalised key, 'tz-activation-request:v1:' + nonce, 200 000, 32 bytes).
    const proofKey = pbkdf2Sync(lic.key, `tz-activation-request:v1:${payload.nonce}`, 200_000, 32, "sha256");
    expect(file.proof).toBe(createHmac("sha256", proofKey).update(signed).digest("base64url"));
    // Not the old fast MAC keyed with the license key itself, nor another iteration count.
    expect(file.proof).not.toBe(createHmac("sha256", lic.key).update(signed).digest("base64url"));
    const fewer = pbkdf2Sync(lic.key, `tz-activation-request:v1:${payload.nonce}`, 100_000, 32, "sha256");
    expect(file.proof).not.toBe(createHmac("sha256", fewer).update(signed).digest("base64url"));
    expect(verify(null, signed, instancePublicKey(payload.publicKey), Buffer.from(file.signature, "base64url"))).toBe(
      true,
    );
    expect(calls).toEqual([]);
  });

  it("keeps the instance key as a PKCS#8 PEM, mode 0600, and reuses it; each request has a new nonce", async () => {
    const { client, dataDir } = installation(license());
    const first = await client.writeActivationRequest();
    const second = await client.writeActivationRequest();
    const pemFile = path.join(dataDir, "instance-key.pem");
    expect(fs.readFileSync(pemFile, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(fs.statSync(pemFile).mode & 0o777).toBe(0o600);
    expect(second.request.publicKey).toBe(first.request.publicKey);
    expect(second.request.nonce).not.toBe(first.request.nonce);
  });

  it("carries no random character of the key, only its first two groups", async () => {
    for (const plan of ["trial", "starter", "professional", "enterprise"] as const) {
      const lic = license(plan);
      const { client } = installation(lic);
      const { content, request } = await client.writeActivationRequest();
      const decoded = Buffer.from(JSON.parse(content).request, "base64url").toString("utf8");
      const random = lic.key.split("-").slice(2);
      expect(request.keyPrefix).toBe(lic.key.split("-").slice(0, 2).join("-"));
      for (const text of [content, decoded]) {
        expect(text).not.toContain(lic.key.slice(-4));
        for (const group of random) expect(text).not.toContain(group.slice(0, 4));
      }
    }
    expect(keyPrefix(" tz-trial-abcd2345 ")).toBe("TZ-TRIAL");
    expect(keyPrefix("nonsense-key")).toBe("TZ");
  });

  it("trims the instance name; a blank one is the host name", async () => {
    const blank = await installation(license(), { instanceName: "   " }).client.writeActivationRequest();
    expect(blank.request.instanceName).toBe(os.hostname().trim() || "installation");
    const padded = await installation(license(), { instanceName: "  Vault 7 \n" }).client.writeActivationRequest();
    expect(padded.request.instanceName).toBe("Vault 7");
  });

  it("writes the file before saving its nonce: a failed write changes nothing", async () => {
    const lic = license();
    const { client, dataDir } = installation(lic);
    const first = await client.writeActivationRequest(path.join(dataDir, "first.json"));
    const nonceOf = () => {
      const loaded = new CacheStore(dataDir, { licenseKey: lic.key, instanceId: client.instanceId }).load();
      return loaded.kind === "ok" ? loaded.data.offlineRequestNonce : `cache ${loaded.kind}`;
    };
    expect(nonceOf()).toBe(first.request.nonce);
    const missingDir = path.join(dataDir, "no-such-dir");
    const error = await client.writeActivationRequest(path.join(missingDir, "request.json")).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(error?.code).toBe("ENOENT");
    expect(nonceOf()).toBe(first.request.nonce);
    expect(fs.existsSync(missingDir)).toBe(false);
    expect(fs.readdirSync(dataDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // The first request still imports.
    const answered = issueLicenseFile(first.content, lic);
    expect((await client.importLicenseFile(answered)).code).toBe("LICENSE_FILE_VALID");
  });

  it("the CLI exits 2 with a clear message when the request cannot be written, changing nothing", () => {
    const dir = tempDir("tz-cli-write-");
    const jwks = path.join(dir, "vendor-jwks.json");
    fs.writeFileSync(jwks, JSON.stringify({ keys: publicJwks().keys }));
    const key = generateKey("starter");
    const dataDir = path.join(dir, "data");
    const common = ["--key", key, "--data-dir", dataDir, "--jwks", jwks];
    const cli = (args: string[]) => {
      const env = { ...process.env };
      for (const name of Object.keys(env)) if (name.startsWith("TZ_")) delete env[name];
      const root = path.resolve(import.meta.dirname, "../..");
      return spawnSync(process.execPath, ["--import", "tsx", path.join(root, "packages/client/src/cli.ts"), ...args], {
        cwd: root,
        env,
        encoding: "utf8",
        timeout: 60_000,
      });
    };
    const good = cli(["offline-request", "--out", path.join(dir, "request.json"), ...common]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/\(TZ-STA\)/);
    const nonce = JSON.parse(
      Buffer.from(JSON.parse(fs.readFileSync(path.join(dir, "request.json"), "utf8")).request, "base64url").toString(),
    ).nonce;
    const failed = cli(["offline-request", "--out", path.join(dir, "missing", "request.json"), ...common]);
    expect(failed.status).toBe(2);
    expect(failed.stderr).toMatch(
      /Cannot write the activation request .*missing.*request\.json: no such file or directory/i,
    );
    expect(failed.stderr).toMatch(/Nothing was changed/);
    const id = fs.readFileSync(path.join(dataDir, "instance-id"), "utf8").trim();
    const loaded = new CacheStore(dataDir, { licenseKey: key, instanceId: id }).load();
    expect(loaded.kind === "ok" && loaded.data.offlineRequestNonce).toBe(nonce);
  });

  it("masks keys exactly as the portal does", () => {
    for (const plan of ["trial", "starter", "professional", "enterprise"] as const) {
      const key = generateKey(plan);
      expect(maskKey(key)).toBe(portalMaskKey(key));
      expect(maskKey(` ${key.toLowerCase()} `)).toBe(portalMaskKey(key));
    }
    expect(maskKey("nonsense")).toBe(portalMaskKey("NONSENSE"));
  });
});

describe("license file import", () => {
  it("answers from an imported file with no network call", async () => {
    const { client, status, lic, clock, file } = await activated(license("professional"));
    expect(status).toMatchObject({ valid: true, code: "LICENSE_FILE_VALID", status: "valid", offline: true });
    expect(status.warnings.map((w) => w.code)).toContain("AIR_GAPPED");
    expect(status.license).toMatchObject({
      key: portalMaskKey(lic.key),
      plan: "professional",
      planName: "Professional",
    });
    expect(Date.parse(status.offlineValidUntil ?? "")).toBeCloseTo(clock.ms + 90 * DAY, -4);
    const iat = JSON.parse(Buffer.from(JSON.parse(file).license.split(".")[1], "base64url").toString()).iat;
    expect(status).toMatchObject({ airGapped: true, certificate: null, lastServerContact: null });
    expect(status.usage).toMatchObject({ activations: 1 });
    expect(status.license?.issuedAt).toBe(new Date(iat * 1000).toISOString());

    expect(await client.validateLicense()).toMatchObject({ valid: true, code: CLIENT_CODES.LICENSE_FILE_VALID });
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(true);
    expect(await client.checkFeatureAccess("enterprise_dashboard")).toBe(false);
    expect(await client.getUsageLimits()).toEqual(PLANS.professional.limits);
    expect((await client.getLicenseStatus()).features.find((f) => f.key === "advanced_dashboard")?.name).toBe(
      "Advanced Dashboard",
    );
    expect(calls).toEqual([]);
  });

  it("says expiring_soon within 30 days of the license's expiry, and trial for a trial", async () => {
    expect((await activated(license("starter", 20))).status.status).toBe("expiring_soon");
    expect((await activated(license("trial", 30))).status.status).toBe("trial");
  });

  it("refuses a file for another instance id (rule 3)", async () => {
    const lic = license();
    const mine = installation(lic);
    await mine.client.writeActivationRequest();
    const other = installation(lic);
    const { content } = await other.client.writeActivationRequest();
    const error = await refusal(mine.client.importLicenseFile(issueLicenseFile(content, lic)));
    expect(error.code).toBe("LICENSE_FILE_INVALID");
    expect(error.message).toMatch(/rule 3: the file was issued to instance/);
    expect((await mine.client.validateLicense()).valid).toBe(false);
  });

  it("refuses a file bound to another instance key (rule 3)", async () => {
    const lic = license();
    const mine = installation(lic);
    await mine.client.writeActivationRequest();
    // Same instance id and license, another machine's key.
    const twin = installation(lic, { instanceId: mine.client.instanceId });
    const { content } = await twin.client.writeActivationRequest();
    const error = await refusal(mine.client.importLicenseFile(issueLicenseFile(content, lic)));
    expect(error.message).toMatch(/rule 3: .*another instance key/);
  });

  it("refuses a foreign signature (rule 2), keeping the file it had", async () => {
    const { client, lic, clock } = await activated();
    const { content } = await client.writeActivationRequest();
    const { privateKey } = generateKeyPairSync("ed25519");
    const forged = issueLicenseFile(content, lic, { signWith: { kid: "attacker", privateKey }, keySetTokens: [] });
    const error = await refusal(client.importLicenseFile(forged));
    expect(error.code).toBe("LICENSE_FILE_INVALID");
    expect(error.message).toMatch(/rule 2: the signature does not verify/);
    // A forged key with the portal's kid fails the same way.
    const sameKid = issueLicenseFile(content, lic, {
      signWith: { kid: publicJwks().keys[0]!.kid, privateKey },
      now: clock.now(),
    });
    expect((await refusal(client.importLicenseFile(sameKid))).message).toMatch(/rule 2/);
    expect(await client.validateLicense()).toMatchObject({ valid: true, code: "LICENSE_FILE_VALID" });
  });

  it("refuses an online certificate passed as a license file (rule 1)", async () => {
    const lic = license();
    const { client } = installation(lic);
    const { request } = await client.writeActivationRequest();
    const now = Math.floor(Date.now() / 1000);
    const certificate = signCertificate({
      iss: "ticketzero-license-portal",
      sub: lic.id,
      lid: lic.id,
      plan: lic.plan,
      features: lic.features,
      limits: lic.limits,
      instanceId: request.instanceId,
      status: "valid",
      iat: now,
      exp: now + 7 * 86_400,
    });
    const wrapped = JSON.stringify({ type: "ticketzero-license-file", v: 1, license: certificate, keySetTokens: [] });
    const error = await refusal(client.importLicenseFile(wrapped));
    expect(error.message).toMatch(/rule 1: the JWS header typ is "JWT", not "tz-license-file\+jwt"/);
    expect((await refusal(client.importLicenseFile('{"type":"something-else","v":1}'))).message).toMatch(/rule 1/);
    expect((await refusal(client.importLicenseFile("{not json"))).message).toMatch(/rule 1: not JSON/);
  });

  it("refuses a signed file that lacks the claims a deactivation needs (rule 1)", async () => {
    const lic = license();
    const { client } = installation(lic);
    const { content } = await client.writeActivationRequest();
    const file = issueLicenseFile(content, lic, { claims: { jti: undefined, lid: undefined, sub: undefined } });
    expect((await refusal(client.importLicenseFile(file))).message).toMatch(
      /rule 1: the license lacks the claims lid, jti/,
    );
    for (const claim of ["limits", "nonce", "ipk", "instanceId", "iat"]) {
      const without = issueLicenseFile(content, lic, { claims: { [claim]: undefined } });
      const error = await refusal(client.importLicenseFile(without));
      expect(error.code).toBe("LICENSE_FILE_INVALID");
      expect(error.message).toMatch(new RegExp(`rule 1: the license lacks the claims ${claim}\\)`));
    }
  });

  it("a license file is refused as an online certificate (typ tz-license-file+jwt): CERTIFICATE_INVALID", async () => {
    const lic = license();
    const { client } = installation(lic);
    const { content } = await client.writeActivationRequest();
    const token = JSON.parse(issueLicenseFile(content, lic)).license as string;
    const jwks = { keys: publicJwks().keys } as JsonWebKeySet;
    const check = await verifyCertificate(token, jwks, { currentDate: new Date() });
    expect(check).toMatchObject({ ok: false, reason: "invalid" });
    expect(!check.ok && check.message).toMatch(/license file .*not an online certificate/);
    // The same claims under an online certificate's typ do verify: only the typ is refused.
    const online = signCertificate(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()));
    expect((await verifyCertificate(online, jwks, { currentDate: new Date() })).ok).toBe(true);
  });

  it("refuses an old file after an offline deactivation (rule 4: the nonce)", async () => {
    const { client, file } = await activated();
    await client.deactivateOffline();
    const error = await refusal(client.importLicenseFile(file));
    expect(error.message).toMatch(/rule 4: no activation request is pending/);
    // Nor once a new request is pending: the file answers an older one.
    await client.writeActivationRequest();
    expect((await refusal(client.importLicenseFile(file))).message).toMatch(/rule 4: the file answers another/);
  });

  it("refuses an expired file and one issued in the future (rule 5)", async () => {
    const lic = license();
    const { client, clock } = installation(lic);
    const { content } = await client.writeActivationRequest();
    const file = issueLicenseFile(content, lic, { now: clock.now(), maxDays: 10 });
    clock.advance(11 * DAY);
    expect((await refusal(client.importLicenseFile(file))).message).toMatch(/rule 5: the file expired at/);
    const ahead = issueLicenseFile(content, lic, { now: new Date(clock.ms + 10 * 60_000) });
    expect((await refusal(client.importLicenseFile(ahead))).message).toMatch(/rule 5: the file was issued at .* after/);
  });

  it("reads a file given by its path", async () => {
    const lic = license();
    const { client, dataDir } = installation(lic);
    const { content } = await client.writeActivationRequest();
    const target = path.join(dataDir, "license-file.json");
    fs.writeFileSync(target, issueLicenseFile(content, lic));
    expect((await client.importLicenseFile(target)).code).toBe("LICENSE_FILE_VALID");
    const missing = await refusal(client.importLicenseFile(path.join(dataDir, "missing.json")));
    expect(missing.message).toMatch(/Cannot read the license file/);
  });

  it("keeps answering from the current file after a renewal request, then takes the renewed file", async () => {
    const { client, lic, clock } = await activated(license(), { maxDays: 30 });
    clock.advance(20 * DAY);
    const renewal = await client.writeActivationRequest();
    expect((await client.validateLicense()).code).toBe("LICENSE_FILE_VALID");
    const renewed = issueLicenseFile(renewal.content, lic, { now: clock.now(), maxDays: 30 });
    const status = await client.importLicenseFile(renewed);
    expect(Date.parse(status.offlineValidUntil ?? "")).toBeCloseTo(clock.ms + 30 * DAY, -4);
    clock.advance(15 * DAY);
    expect((await client.validateLicense()).code).toBe("LICENSE_FILE_VALID");
  });
});

describe("answering from the file", () => {
  it("expires with the file: LICENSE_FILE_EXPIRED, status expired", async () => {
    const { client, clock } = await activated(license(), { maxDays: 10 });
    clock.advance(10 * DAY + 60_000);
    const status = await client.getLicenseStatus();
    expect(status).toMatchObject({ valid: false, code: "LICENSE_FILE_EXPIRED", status: "expired" });
    expect(status.message).toMatch(/import a renewed license file/);
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
    expect(await client.getUsageLimits()).toEqual({ maxClients: 0, maxTicketsPerMonth: 0, maxActivations: 0 });
    expect((await refusal(client.recordTickets(1))).code).toBe("LICENSE_FILE_EXPIRED");
  });

  it("refuses a clock rolled back behind the newest local time seen (beyond 5 minutes)", async () => {
    const { client, clock } = await activated();
    clock.advance(3 * DAY);
    expect((await client.validateLicense()).code).toBe("LICENSE_FILE_VALID");
    clock.advance(-4 * 60_000);
    expect((await client.validateLicense()).code).toBe("LICENSE_FILE_VALID");
    clock.advance(-2 * DAY);
    const rolled = await client.getLicenseStatus();
    expect(rolled).toMatchObject({ valid: false, code: "CLOCK_ROLLBACK" });
    expect(await client.checkFeatureAccess("Advanced Dashboard")).toBe(false);
    clock.advance(2 * DAY);
    expect((await client.validateLicense()).code).toBe("LICENSE_FILE_VALID");
  });

  it("refuses a clock behind the file's signed iat, even on a fresh process", async () => {
    const { clock, dataDir, lic } = await activated();
    const again = installation(lic, { dataDir, now: () => new Date(clock.ms - DAY) });
    expect((await again.client.validateLicense()).code).toBe("CLOCK_ROLLBACK");
  });

  it("counts tickets locally per UTC month and refuses over the file's limits, changing nothing", async () => {
    const lic = license("trial", 30);
    const { client } = await activated(lic);
    const limits = PLANS.trial.limits;
    const first = await client.recordTickets(60, 2);
    expect(first).toMatchObject({
      usage: { ticketsThisMonth: 60, clients: 2 },
      remaining: limits.maxTicketsPerMonth - 60,
    });

    const over = await refusal(client.recordTickets(limits.maxTicketsPerMonth - 60 + 1));
    expect(over.code).toBe("USAGE_LIMIT_EXCEEDED");
    const tooManyClients = await refusal(client.recordTickets(1, limits.maxClients + 1));
    expect(tooManyClients.code).toBe("CLIENT_LIMIT_EXCEEDED");
    // Both over: clients are checked first (as the Python client).
    const both = await refusal(client.recordTickets(limits.maxTicketsPerMonth, limits.maxClients + 1));
    expect(both.code).toBe("CLIENT_LIMIT_EXCEEDED");
    const status = await client.getLicenseStatus();
    expect(status.usage).toMatchObject({ ticketsThisMonth: 60, clients: 2 });
    await expect(client.assertWithinLimits({ tickets: limits.maxTicketsPerMonth - 60 + 1 })).rejects.toMatchObject({
      code: "USAGE_LIMIT_EXCEEDED",
    });

    expect((await client.recordTickets(limits.maxTicketsPerMonth - 60)).remaining).toBe(0);
    expect(calls).toEqual([]);
  });

  it("starts a new count in a new month: zero tickets and zero clients", async () => {
    const { client, clock } = await activated(license("professional"));
    await client.recordTickets(4_000, 7);
    const now = new Date(clock.ms);
    clock.set(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 0, 1));
    expect((await client.getLicenseStatus()).usage).toMatchObject({ ticketsThisMonth: 0, clients: 0 });
    expect((await client.recordTickets(4_000)).usage).toMatchObject({ ticketsThisMonth: 4_000, clients: 0 });
  });
});

describe("offline deactivation", () => {
  it("gives a TZDC1 code signed by the instance key, and deletes the file", async () => {
    const { client, clock, file, lic } = await activated();
    const jti = JSON.parse(Buffer.from(JSON.parse(file).license.split(".")[1], "base64url").toString()).jti;
    const request = await client.writeActivationRequest();
    const { code, payload } = await client.deactivateOffline();

    expect(code).toMatch(/^TZDC1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const verified = verifyDeactivationCode(code, request.request.publicKey);
    expect(verified).toEqual(payload);
    // The nonce is the pending one (the renewal request written after the import), between jti and deactivatedAt.
    expect(payload).toEqual({
      v: 1,
      lid: lic.id,
      instanceId: client.instanceId,
      jti,
      nonce: request.request.nonce,
      deactivatedAt: clock.now().toISOString(),
    });
    const part = JSON.parse(Buffer.from(code.split(".")[1]!, "base64url").toString());
    expect(Object.keys(part)).toEqual(["v", "lid", "instanceId", "jti", "nonce", "deactivatedAt"]);
    const other = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x as string;
    expect(verifyDeactivationCode(code, other)).toBeNull();

    // No file, no server: nothing valid to say.
    const after = await client.validateLicense();
    expect(after.valid).toBe(false);
    expect(after.message).toMatch(/No license server is configured/);
    expect((await refusal(client.deactivateOffline())).code).toBe("NO_LICENSE_FILE");
    expect(calls).toEqual([]);
  });
});

describe("offline deactivation without a renewal", () => {
  it("carries the nonce of the request the imported file answers", async () => {
    const { client, file } = await activated();
    const claims = JSON.parse(Buffer.from(JSON.parse(file).license.split(".")[1], "base64url").toString());
    const { payload } = await client.deactivateOffline();
    expect(payload).toMatchObject({ jti: claims.jti, nonce: claims.nonce });
  });
});

describe("no server configured", () => {
  it("fails network calls at once as SERVER_UNREACHABLE, with no retries", async () => {
    const sleeps: number[] = [];
    const { client } = installation(license(), { sleep: async (ms) => void sleeps.push(ms) });
    const result = await client.validateLicense();
    expect(result).toMatchObject({ valid: false, code: "NO_CACHE" });
    expect(result.message).toMatch(/No license server is configured/);
    const error = await refusal(client.activate());
    expect(error.code).toBe("SERVER_UNREACHABLE");
    expect(sleeps).toEqual([]);
    expect(calls).toEqual([]);
  });
});

describe("shared cache members", () => {
  it("keeps the contract's members in license.json, and members it does not know", async () => {
    const { client, clock, dataDir, lic } = await activated();
    await client.recordTickets(5, 1);
    const store = new CacheStore(dataDir, { licenseKey: lic.key, instanceId: client.instanceId });
    const loaded = store.load();
    if (loaded.kind !== "ok") throw new Error(`cache not readable: ${loaded.kind}`);
    expect(loaded.data).toMatchObject({
      offlineRequestNonce: expect.any(String),
      licenseFile: expect.stringContaining("ticketzero-license-file"),
      localHighWater: clock.now().toISOString(),
      localUsage: { period: clock.now().toISOString().slice(0, 7), tickets: 5, clients: 1 },
    });
    // A member the Python client (or a later version) wrote survives this client's saves.
    store.save({ ...loaded.data, pythonOnly: { kept: true } } as typeof loaded.data);
    clock.advance(DAY);
    await client.recordTickets(1);
    const again = store.load();
    expect(again.kind === "ok" && (again.data as Record<string, unknown>).pythonOnly).toEqual({ kept: true });
  });

  it("the package version matches package.json", () => {
    const manifest = JSON.parse(
      fs.readFileSync(path.resolve(import.meta.dirname, "../../packages/client/package.json"), "utf8"),
    );
    expect(manifest.version).toBe(CLIENT_VERSION);
  });
});
