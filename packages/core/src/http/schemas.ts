/**
 * The installation API's answers as zod schemas: what the OpenAPI document
 * publishes and what the contract suite validates every real answer against.
 * Objects are strict, so an answer with a field the schema does not know (or
 * without one it requires) fails the suite. The type checks at the bottom tie
 * each schema to the domain type the handler returns, so neither can change alone.
 */
import { z } from "zod";
import type { PublicKeySet } from "../license/certificate";
import { FEATURES, type FeatureKey, PAID_PLAN_IDS, PLAN_IDS } from "../license/plans";
import type { LicenseStatusBody, StatusCode, Warning } from "../license/types";
import type { ReserveResult } from "../license/usage";
import { INSTANCE_ID } from "./api";

const Count = z.number().int().min(0);
const Timestamp = z.iso.datetime().describe("ISO 8601, UTC.");
const MaskedKey = z.string().describe("A license key, masked: `TZ-PRO-****-****-****-7K2Q`.");
const PlanId = z.enum(PLAN_IDS).meta({ id: "PlanId" });
const PaidPlanId = z.enum(PAID_PLAN_IDS as [(typeof PAID_PLAN_IDS)[number], ...(typeof PAID_PLAN_IDS)[number][]]);

const STATUS_CODES = [
  "VALID",
  "EXPIRING_SOON",
  "TRIAL",
  "SUPERSEDED_GRACE",
  "LICENSE_EXPIRED",
  "LICENSE_SUPERSEDED",
  "LICENSE_SUSPENDED",
  "LICENSE_REVOKED",
  "LICENSE_NOT_FOUND",
] as const satisfies readonly StatusCode[];

const WARNING_CODES = [
  "TICKETS_NEAR_LIMIT",
  "TICKETS_LIMIT_REACHED",
  "CLIENTS_NEAR_LIMIT",
  "CLIENTS_LIMIT_REACHED",
  "ACTIVATIONS_ALL_USED",
  "RENEWAL_DUE",
  "TRIAL_ENDING",
  "UPGRADE_GRACE_PERIOD",
  "INSTANCE_NOT_ACTIVATED",
  "INSTANCE_DEACTIVATED",
] as const satisfies readonly Warning["code"][];

export const Limits = z
  .strictObject({ maxClients: Count, maxTicketsPerMonth: Count, maxActivations: Count })
  .meta({ id: "Limits" });

export const Usage = z
  .strictObject({
    period: z
      .string()
      .regex(/^\d{4}-\d{2}$/)
      .describe("The UTC month counted, `YYYY-MM`."),
    ticketsThisMonth: Count,
    clients: Count.describe("Summed over the license's active installations."),
    activations: Count.describe("Slots in use."),
  })
  .meta({ id: "Usage" });

export const LicenseStatus = z
  .strictObject({
    valid: z.boolean().describe("True when the license may run now (valid, expiring soon, trial, upgrade grace)."),
    code: z.enum(STATUS_CODES),
    status: z.enum(["valid", "expiring_soon", "trial", "expired", "invalid"]).describe("The indicator people see."),
    message: z.string(),
    license: z
      .strictObject({
        key: MaskedKey,
        plan: PlanId,
        planName: z.string(),
        issuedAt: Timestamp,
        expiresAt: Timestamp,
        daysRemaining: Count,
      })
      .nullable(),
    limits: Limits.nullable(),
    usage: Usage.nullable(),
    features: z.array(
      z.strictObject({
        key: z.enum(Object.keys(FEATURES) as [FeatureKey, ...FeatureKey[]]),
        name: z.string(),
      }),
    ),
    warnings: z.array(z.strictObject({ code: z.enum(WARNING_CODES), message: z.string() })),
    upgrade: z.strictObject({ plan: PaidPlanId, reason: z.string() }).nullable(),
    activation: z
      .strictObject({ instanceId: INSTANCE_ID, activatedAt: Timestamp, clients: Count })
      .nullable()
      .describe("This installation's activation (X-Instance-Id); null when it has none."),
    slots: z
      .strictObject({
        used: Count,
        max: Count,
        held: Count.describe("Taken by deactivated installations until their last certificate expires."),
        nextFreesAt: Timestamp.nullable(),
        swapsLeft: Count,
        swapsPer30Days: Count,
      })
      .nullable(),
    replacement: z
      .strictObject({ key: MaskedKey, plan: PlanId, planName: z.string(), graceEndsAt: Timestamp })
      .nullable()
      .describe("For a key replaced by an upgrade: the new key (masked) and when this one stops working."),
    certificate: z
      .string()
      .optional()
      .describe(
        "A compact JWS (EdDSA, `kid` in its header) an installation verifies offline; only for an activated installation of a usable license.",
      ),
  })
  .meta({ id: "LicenseStatus", description: "A license's status as installations and people see it." });

export const ActivateAnswer = z.strictObject({
  activation: z.strictObject({
    instanceId: INSTANCE_ID,
    instanceName: z.string().nullable(),
    activatedAt: Timestamp,
    lastSeenAt: Timestamp,
    created: z.boolean().describe("False for the same installation again (idempotent: no new slot)."),
  }),
  license: LicenseStatus,
});

export const TrialAnswer = z.strictObject({
  licenseKey: z
    .string()
    .regex(/^TZ-TRIAL-[0-9A-HJKMNP-TV-Z]{8}$/)
    .describe("The trial key in full (also mailed)."),
  license: LicenseStatus,
});

export const UsageAnswer = z.strictObject({
  usage: Usage,
  remaining: z.number().int().describe("Tickets left this month."),
});

export const DeactivateAnswer = z.strictObject({
  deactivated: z.literal(true),
  instanceId: INSTANCE_ID,
  slotFreesAt: Timestamp.describe("When the slot is free again: now, or when its last certificate expires."),
  swapUsed: z.boolean(),
  swapsLeft: Count,
});

export const PublicKeys = z
  .strictObject({
    keys: z.array(
      z.strictObject({
        kty: z.string(),
        crv: z.string(),
        x: z.string(),
        kid: z.string(),
        alg: z.literal("EdDSA"),
        use: z.literal("sig"),
      }),
    ),
    keySetTokens: z
      .array(z.string())
      .describe("One compact EdDSA JWS per signing key over `{keys, iat}`: an old key vouches for a new one."),
  })
  .meta({ id: "PublicKeys", description: "The signing keys as a JWKS, current first." });

/** An air-gapped installation's license file (docs/AIR-GAPPED.md), as `GET /admin/license/license-file` sends it. */
export const LicenseFile = z.strictObject({
  type: z.literal("ticketzero-license-file"),
  v: z.literal(1),
  license: z.string().describe("A compact JWS (typ `tz-license-file+jwt`) bound to the installation's own key."),
  keySetTokens: z.array(z.string()),
});

// ---------------------------------------------------------------- the schemas are the handlers' types

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when `T` is `true`. */
const sameType = <T extends true>(): T | undefined => undefined;
sameType<Equal<z.output<typeof LicenseStatus>, LicenseStatusBody>>();
sameType<Equal<z.output<typeof UsageAnswer>, ReserveResult>>();
sameType<Equal<z.output<typeof PublicKeys>, PublicKeySet>>();
