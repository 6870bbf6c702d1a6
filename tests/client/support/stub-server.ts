/**
 * A small but faithful implementation of the installation-facing HTTP contract (PRODUCT.md), for
 * testing packages/client against a real HTTP server. Tests only depend on `startStubServer()`'s
 * `{ url, stop, ... }`, so they can later be pointed at the real app server.
 */
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FEATURES, type PlanLimits as Limits, PLANS, type PlanId } from "@ticketzero/core/license/plans";
import { CompactSign, exportJWK, generateKeyPair, type KeyObject, SignJWT } from "jose";

/** The stub serves the real plans catalog, so the client is tested against the same names and limits. */
const NAMES: Record<string, string> = FEATURES;

export const STUB_PLANS: Record<PlanId, { name: string; prefix: string; limits: Limits; features: string[] }> =
  Object.fromEntries(
    Object.values(PLANS).map((plan) => [
      plan.id,
      { name: plan.name, prefix: plan.keyPrefix, limits: plan.limits, features: [...plan.features] },
    ]),
  ) as Record<PlanId, { name: string; prefix: string; limits: Limits; features: string[] }>;

export type StubLicense = {
  id: string;
  key: string;
  plan: PlanId;
  limits: Limits;
  features: string[];
  issuedAt: Date;
  expiresAt: Date;
  state: "active" | "revoked" | "suspended" | "superseded";
  /** For `state: "superseded"`: the grace period's end and the replacement's key. */
  graceEndsAt: Date | null;
  replacementKey: string | null;
  tickets: number;
  /** Clients per activated installation (the license's clients are the sum). */
  clientsByInstance: Map<string, number>;
  /** instance id → activatedAt (ISO). */
  activations: Map<string, string>;
  /** Instances ever activated (deactivate of one of them is idempotent; others are 404). */
  everActivated: Set<string>;
};

export type LoggedRequest = { method: string; path: string; headers: http.IncomingHttpHeaders; body: unknown };

export type Fault = { status: 429 | 500 | 502 | 503; retryAfter?: string; path?: string };

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const randomGroup = (n: number) => Array.from(randomBytes(n), (b) => CROCKFORD[b % 32]).join("");

const DAY = 86_400_000;

type StubKey = { kid: string; privateKey: KeyObject | CryptoKey; jwk: Record<string, unknown> };

async function newKey(): Promise<StubKey> {
  const kid = `stub-${randomBytes(4).toString("hex")}`;
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" } };
}

export async function startStubServer(
  options: {
    clock?: () => Date;
    certTtlDays?: number;
    port?: number;
    /** Seconds in Retry-After / details.retryAfterSeconds of 409 ACTIVATION_LIMIT_REACHED. Default 600. */
    activationRetryAfterSeconds?: number;
  } = {},
) {
  let clock = options.clock ?? (() => new Date());
  const certTtlMs = (options.certTtlDays ?? 30) * DAY;
  const activationRetryAfterSeconds = options.activationRetryAfterSeconds ?? 600;
  /** Signing keys, current first (like LICENSE_SIGNING_KEYS). */
  const signingKeys: StubKey[] = [await newKey()];
  const foreign = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  /** The published key set (`keys` plus `keySetTokens`), rebuilt at every rotation. */
  const jwks: { keys: Record<string, unknown>[]; keySetTokens: string[] } = { keys: [], keySetTokens: [] };
  /** Signers of the key-set tokens; by default every signing key. */
  let keySetSigners: StubKey[] | null = null;
  async function publishKeys() {
    jwks.keys = signingKeys.map((k) => k.jwk);
    const payload = new TextEncoder().encode(
      JSON.stringify({ keys: jwks.keys, iat: Math.floor(clock().getTime() / 1000) }),
    );
    jwks.keySetTokens = await Promise.all(
      (keySetSigners ?? signingKeys).map((k) =>
        new CompactSign(payload)
          .setProtectedHeader({ alg: "EdDSA", typ: "jwk-set+jwt", kid: k.kid })
          .sign(k.privateKey),
      ),
    );
  }
  await publishKeys();

  const licenses = new Map<string, StubLicense>();
  const trialEmails = new Set<string>();
  const requests: LoggedRequest[] = [];
  const faults: Fault[] = [];
  let signWithForeignKey = false;
  /** The JWS `typ` of issued certificates ("JWT"; a license file's to check it is refused online). */
  let certificateTyp = "JWT";
  /** undefined: the caller's instance; null: a certificate with `instanceId: null`; a string: that id. */
  let certificateInstance: string | null | undefined;

  function addLicense(
    init: Partial<Omit<StubLicense, "activations" | "clientsByInstance" | "everActivated">> & { plan?: PlanId } = {},
  ): StubLicense {
    const plan = init.plan ?? "professional";
    const def = STUB_PLANS[plan];
    const key =
      init.key ??
      (plan === "trial"
        ? `TZ-TRIAL-${randomGroup(8)}`
        : `TZ-${def.prefix}-${randomGroup(4)}-${randomGroup(4)}-${randomGroup(4)}-${randomGroup(4)}`);
    const issuedAt = init.issuedAt ?? clock();
    const lic: StubLicense = {
      id: init.id ?? randomUUID(),
      key,
      plan,
      limits: init.limits ?? { ...def.limits },
      features: init.features ?? [...def.features],
      issuedAt,
      expiresAt: init.expiresAt ?? new Date(issuedAt.getTime() + (plan === "trial" ? 30 : 365) * DAY),
      state: init.state ?? "active",
      graceEndsAt: init.graceEndsAt ?? null,
      replacementKey: init.replacementKey ?? null,
      tickets: init.tickets ?? 0,
      clientsByInstance: new Map(),
      activations: new Map(),
      everActivated: new Set(),
    };
    licenses.set(key, lic);
    return lic;
  }

  const mask = (key: string) => key.replace(/-[0-9A-Z]{4}(?=-)/g, "-****");

  const clientsOf = (lic: StubLicense) => [...lic.clientsByInstance.values()].reduce((a, b) => a + b, 0);

  async function certificate(lic: StubLicense, instanceId: string): Promise<string> {
    const now = clock();
    const end = lic.state === "superseded" && lic.graceEndsAt ? lic.graceEndsAt : lic.expiresAt;
    const exp = Math.min(end.getTime(), now.getTime() + certTtlMs);
    const current = signingKeys[0] as StubKey;
    return new SignJWT({
      iss: "ticketzero-license-portal",
      lid: lic.id,
      plan: lic.plan,
      features: lic.features,
      limits: lic.limits,
      instanceId: certificateInstance === undefined ? instanceId : certificateInstance,
      status: "active",
    })
      .setProtectedHeader({ alg: "EdDSA", kid: current.kid, typ: certificateTyp })
      .setSubject(lic.id)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(exp / 1000))
      .sign(signWithForeignKey ? foreign.privateKey : current.privateKey);
  }

  async function statusBody(lic: StubLicense, instanceId: string | null) {
    const now = clock();
    const daysRemaining = Math.max(0, Math.ceil((lic.expiresAt.getTime() - now.getTime()) / DAY));
    const expired = lic.expiresAt.getTime() <= now.getTime();
    const inGrace = lic.state === "superseded" && !!lic.graceEndsAt && lic.graceEndsAt.getTime() > now.getTime();
    let valid = (lic.state === "active" || inGrace) && !expired;
    let code = "VALID";
    let status = "valid";
    let message = "License is valid";
    if (lic.state === "revoked")
      [valid, code, status, message] = [false, "LICENSE_REVOKED", "invalid", "License was revoked"];
    else if (lic.state === "suspended")
      [valid, code, status, message] = [false, "LICENSE_SUSPENDED", "invalid", "License is suspended"];
    else if (lic.state === "superseded" && !inGrace)
      [valid, code, status, message] = [false, "LICENSE_SUPERSEDED", "expired", "License was replaced by an upgrade"];
    else if (expired) [valid, code, status, message] = [false, "LICENSE_EXPIRED", "expired", "License has expired"];
    else if (inGrace)
      [code, status, message] = [
        "SUPERSEDED_GRACE",
        "expiring_soon",
        "License was replaced by an upgrade; use the new key",
      ];
    else if (lic.plan === "trial") [code, status, message] = ["TRIAL", "trial", "Trial license is active"];
    else if (daysRemaining <= 30)
      [code, status, message] = ["EXPIRING_SOON", "expiring_soon", `License expires in ${daysRemaining} days`];
    const activatedAt = instanceId ? lic.activations.get(instanceId) : undefined;
    const warnings = [];
    if (lic.tickets >= lic.limits.maxTicketsPerMonth * 0.8) {
      warnings.push({ code: "TICKETS_NEAR_LIMIT", message: "Ticket usage is at 80% of the monthly limit" });
    }
    if (!activatedAt) {
      warnings.push({ code: "INSTANCE_NOT_ACTIVATED", message: "This installation is not activated" });
    }
    const certified = valid && instanceId !== null && activatedAt !== undefined;
    return {
      valid,
      code,
      status,
      message,
      license: {
        key: mask(lic.key),
        plan: lic.plan,
        planName: STUB_PLANS[lic.plan].name,
        issuedAt: lic.issuedAt.toISOString(),
        expiresAt: lic.expiresAt.toISOString(),
        daysRemaining,
      },
      limits: lic.limits,
      usage: {
        period: now.toISOString().slice(0, 7),
        ticketsThisMonth: lic.tickets,
        clients: clientsOf(lic),
        activations: lic.activations.size,
      },
      features: lic.features.map((key) => ({ key, name: NAMES[key] ?? key })),
      warnings,
      upgrade: null,
      activation:
        instanceId && activatedAt
          ? { instanceId, activatedAt, clients: lic.clientsByInstance.get(instanceId) ?? 0 }
          : null,
      slots: {
        used: lic.activations.size,
        max: lic.limits.maxActivations,
        held: 0,
        nextFreesAt: null,
        swapsLeft: lic.limits.maxActivations,
        swapsPer30Days: lic.limits.maxActivations,
      },
      replacement:
        lic.state === "superseded" && lic.replacementKey && lic.graceEndsAt
          ? {
              key: mask(lic.replacementKey),
              plan: "enterprise",
              planName: "Enterprise",
              graceEndsAt: lic.graceEndsAt.toISOString(),
            }
          : null,
      // Present only for an activated installation of a valid license (contract of issue 8).
      ...(certified ? { certificate: await certificate(lic, instanceId) } : {}),
    };
  }

  const error = (
    res: http.ServerResponse,
    status: number,
    code: string,
    message: string,
    extra: { details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) =>
    send(
      res,
      status,
      { error: { code, message, ...(extra.details ? { details: extra.details } : {}) } },
      extra.headers,
    );

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, {
      "content-type": "application/json",
      date: clock().toUTCString(),
      ...headers,
    });
    res.end(JSON.stringify(body));
  }

  function bearer(req: http.IncomingMessage): string | null {
    const h = req.headers.authorization;
    const m = typeof h === "string" ? /^Bearer\s+(.+)$/i.exec(h) : null;
    return m?.[1]?.trim().toUpperCase() ?? null;
  }

  /** Resolves the license from the key or answers the error; null when answered. */
  function licenseFor(res: http.ServerResponse, key: string | null): StubLicense | null {
    if (!key) {
      error(res, 401, "UNAUTHENTICATED", "A license key is required");
      return null;
    }
    if (!/^TZ-(TRIAL-[0-9A-Z]{8}|(STA|PRO|ENT)(-[0-9A-Z]{4}){4})$/.test(key)) {
      error(res, 400, "INVALID_FORMAT", "Malformed license key");
      return null;
    }
    const lic = licenses.get(key);
    if (!lic) {
      error(res, 404, "LICENSE_NOT_FOUND", "No such license");
      return null;
    }
    return lic;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: unknown) {
    const url = new URL(req.url ?? "/", "http://stub");
    const path = url.pathname;
    const faultIndex = faults.findIndex((f) => !f.path || f.path === path);
    if (faultIndex >= 0) {
      const [fault] = faults.splice(faultIndex, 1);
      if (fault) {
        const headers: Record<string, string> = fault.retryAfter ? { "retry-after": fault.retryAfter } : {};
        const code = fault.status === 429 ? "RATE_LIMITED" : "UNAVAILABLE";
        return send(res, fault.status, { error: { code, message: `stub fault ${fault.status}` } }, headers);
      }
    }
    const instanceHeader = req.headers["x-instance-id"];
    const instanceId = typeof instanceHeader === "string" ? instanceHeader : null;
    const input = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;

    if (req.method === "GET" && path === "/api/public-key") return send(res, 200, jwks);

    if (req.method === "GET" && path === "/api/license-status") {
      const lic = licenseFor(res, bearer(req));
      if (!lic) return;
      if (instanceId && lic.activations.has(instanceId))
        lic.activations.set(instanceId, lic.activations.get(instanceId)!);
      return send(res, 200, await statusBody(lic, instanceId));
    }

    if (req.method === "POST" && path === "/admin/activate-license") {
      const key = typeof input.licenseKey === "string" ? input.licenseKey.trim().toUpperCase() : bearer(req);
      const lic = licenseFor(res, key);
      if (!lic) return;
      if (lic.state === "revoked") return error(res, 403, "LICENSE_REVOKED", "License was revoked");
      if (lic.state === "suspended") return error(res, 403, "LICENSE_SUSPENDED", "License is suspended");
      if (lic.expiresAt.getTime() <= clock().getTime()) return error(res, 403, "LICENSE_EXPIRED", "License expired");
      const iid = typeof input.instanceId === "string" ? input.instanceId : `gen-${randomBytes(6).toString("hex")}`;
      let created = false;
      if (!lic.activations.has(iid)) {
        if (lic.activations.size >= lic.limits.maxActivations) {
          return error(res, 409, "ACTIVATION_LIMIT_REACHED", "All activations of this license are in use", {
            headers: { "retry-after": String(activationRetryAfterSeconds) },
            details: {
              nextSlotFreesAt: null,
              swapsLeft: lic.limits.maxActivations,
              retryAfterSeconds: activationRetryAfterSeconds,
            },
          });
        }
        lic.activations.set(iid, clock().toISOString());
        lic.everActivated.add(iid);
        created = true;
      }
      return send(res, created ? 201 : 200, {
        activation: { instanceId: iid, activatedAt: lic.activations.get(iid) },
        license: await statusBody(lic, iid),
      });
    }

    if (req.method === "POST" && path === "/admin/generate-trial") {
      const email = typeof input.email === "string" ? input.email.trim().toLowerCase() : "";
      if (!/^[^@\s]+@[^@\s]+$/.test(email)) return error(res, 400, "INVALID_EMAIL", "A valid email is required");
      if (trialEmails.has(email)) return error(res, 409, "TRIAL_ALREADY_USED", "This email already had a trial");
      trialEmails.add(email);
      const lic = addLicense({ plan: "trial" });
      return send(res, 201, { licenseKey: lic.key, license: await statusBody(lic, null) });
    }

    if (req.method === "POST" && path === "/api/usage") {
      const lic = licenseFor(res, bearer(req));
      if (!lic) return;
      if (!instanceId) return error(res, 400, "VALIDATION_FAILED", "X-Instance-Id is required");
      if (!lic.activations.has(instanceId)) {
        return error(res, 404, "INSTANCE_NOT_ACTIVATED", "This installation is not activated");
      }
      const tickets = input.tickets;
      const clients = input.clients;
      if (typeof tickets !== "number" || !Number.isInteger(tickets) || tickets < 0) {
        return error(res, 400, "INVALID_INPUT", "tickets must be a non-negative integer");
      }
      if (clients !== undefined && (typeof clients !== "number" || !Number.isInteger(clients) || clients < 0)) {
        return error(res, 400, "INVALID_INPUT", "clients must be a non-negative integer");
      }
      if (typeof clients === "number") {
        const others = clientsOf(lic) - (lic.clientsByInstance.get(instanceId) ?? 0);
        if (others + clients > lic.limits.maxClients) {
          return error(
            res,
            409,
            "CLIENT_LIMIT_EXCEEDED",
            `At most ${lic.limits.maxClients} clients over all installations`,
          );
        }
      }
      if (lic.tickets + tickets > lic.limits.maxTicketsPerMonth) {
        return error(res, 409, "USAGE_LIMIT_EXCEEDED", "Monthly ticket limit reached");
      }
      lic.tickets += tickets;
      if (typeof clients === "number") lic.clientsByInstance.set(instanceId, clients);
      return send(res, 200, {
        usage: {
          period: clock().toISOString().slice(0, 7),
          ticketsThisMonth: lic.tickets,
          clients: clientsOf(lic),
          activations: lic.activations.size,
        },
        remaining: lic.limits.maxTicketsPerMonth - lic.tickets,
      });
    }

    if (req.method === "POST" && path === "/api/deactivate") {
      const lic = licenseFor(res, bearer(req));
      if (!lic) return;
      const iid = typeof input.instanceId === "string" ? input.instanceId : instanceId;
      if (!iid || !lic.everActivated.has(iid)) {
        return error(res, 404, "INSTANCE_NOT_ACTIVATED", "This installation was never activated");
      }
      lic.activations.delete(iid);
      lic.clientsByInstance.delete(iid);
      return send(res, 200, {
        deactivated: true,
        instanceId: iid,
        slotFreesAt: clock().toISOString(),
        swapsLeft: lic.limits.maxActivations,
      });
    }

    return error(res, 404, "NOT_FOUND", `No route ${req.method} ${path}`);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: unknown = null;
      const text = Buffer.concat(chunks).toString("utf8");
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          return error(res, 400, "INVALID_JSON", "Body is not JSON");
        }
      }
      requests.push({
        method: req.method ?? "",
        path: (req.url ?? "").split("?")[0] ?? "",
        headers: req.headers,
        body,
      });
      handle(req, res, body).catch((err: unknown) => {
        if (!res.headersSent) error(res, 500, "INTERNAL", String(err));
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let stopped = false;

  return {
    url: `http://127.0.0.1:${port}`,
    /** The current signing key's kid. */
    get kid() {
      return (signingKeys[0] as StubKey).kid;
    },
    /** The published key set: `{keys, keySetTokens}` (the object is updated in place at rotation). */
    jwks,
    /** The plain JWKS (public keys only), as a client would configure it. */
    plainJwks() {
      return { keys: jwks.keys.map((k) => ({ ...k })) };
    },
    /**
     * Key rotation: a new current signing key. `vouched` (default): the old keys stay published
     * and sign the new key set (the client learns the new key). `vouched: false`: the new key set
     * is signed only by the new key (a client pinned to the old one must refuse it).
     */
    async rotateKey(opts: { vouched?: boolean; dropOld?: boolean } = {}) {
      const fresh = await newKey();
      const old = [...signingKeys];
      if (opts.dropOld) signingKeys.splice(0, signingKeys.length);
      signingKeys.unshift(fresh);
      keySetSigners = opts.vouched === false ? [fresh] : [fresh, ...old];
      if (opts.dropOld && opts.vouched !== false) {
        // Old keys no longer published, but the old key still vouches for the new set.
        await publishKeys();
        return fresh.kid;
      }
      await publishKeys();
      return fresh.kid;
    },
    licenses,
    requests,
    addLicense,
    /** Queue faults answered before any real handling (optionally only for one path). */
    failNext(count: number, fault: Fault) {
      for (let i = 0; i < count; i++) faults.push({ ...fault });
    },
    /** Sign certificates with a key that is not published (or back to the real one). */
    setForeignSigner(on: boolean) {
      signWithForeignKey = on;
    },
    /** Issue certificates with another JWS `typ` (e.g. a license file's `tz-license-file+jwt`). */
    setCertificateTyp(typ: string) {
      certificateTyp = typ;
    },
    /** Issue certificates naming another instance (a string), no instance (null) or the caller's (undefined). */
    setCertificateInstance(id: string | null | undefined) {
      certificateInstance = id;
    },
    setClock(fn: () => Date) {
      clock = fn;
    },
    countRequests(path: string) {
      return requests.filter((r) => r.path === path).length;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type StubServer = Awaited<ReturnType<typeof startStubServer>>;
