/**
 * The database. Every limit that must hold across processes (activations,
 * tickets, one trial per email, one license per paid checkout) is enforced
 * here, by a constraint, a row lock or a conditional upsert.
 */
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

// ---- next-auth (Drizzle adapter's default shape) ----
export const users = pgTable(
  "users",
  {
    id: text("id")
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    name: text("name"),
    email: text("email").unique(),
    emailVerified: tz("email_verified"),
    image: text("image"),
    company: text("company"),
    isStaff: boolean("is_staff").notNull().default(false),
    createdAt: tz("created_at").notNull().defaultNow(),
  },
  // The back office's customer search by a member's email (trigrams).
  (t) => [index("users_email_trgm_idx").using("gin", t.email.op("gin_trgm_ops"))],
);

export const accounts = pgTable(
  "accounts",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    provider: text("provider").notNull(),
    providerAccountId: text("provider_account_id").notNull(),
    refresh_token: text("refresh_token"),
    access_token: text("access_token"),
    expires_at: integer("expires_at"),
    token_type: text("token_type"),
    scope: text("scope"),
    id_token: text("id_token"),
    session_state: text("session_state"),
  },
  (t) => [primaryKey({ columns: [t.provider, t.providerAccountId] })],
);

/** Database sessions: signing out (here or everywhere) deletes the rows, so an old cookie is refused. */
export const sessions = pgTable(
  "sessions",
  {
    sessionToken: text("session_token").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expires: tz("expires").notNull(),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const verificationTokens = pgTable(
  "verification_tokens",
  {
    identifier: text("identifier").notNull(),
    token: text("token").notNull(),
    expires: tz("expires").notNull(),
  },
  (t) => [primaryKey({ columns: [t.identifier, t.token] })],
);

// ---- teams: the customer's account ----
/**
 * A customer's account: the licenses it holds and the people who run them.
 * A person (user) may belong to several teams; each has one role per team.
 */
export const teams = pgTable(
  "teams",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** The license the Admin Panel opens on (chosen by an admin); null: the best usable one. */
    primaryLicenseId: uuid("primary_license_id").references((): AnyPgColumn => licenses.id, { onDelete: "set null" }),
    createdAt: tz("created_at").notNull().defaultNow(),
  },
  // The back office's customers list, newest first, and its search by name (trigrams).
  (t) => [
    index("teams_created_idx").on(t.createdAt, t.id),
    index("teams_name_trgm_idx").using("gin", t.name.op("gin_trgm_ops")),
  ],
);

/** owner: everything, including the team and billing; admin: runs the license; viewer: reads. */
export const teamMembers = pgTable(
  "team_members",
  {
    teamId: uuid("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** owner | admin | viewer */
    role: text("role").notNull(),
    /** Who invited them; null for the person who created the team (their own team). */
    invitedBy: text("invited_by"),
    createdAt: tz("created_at").notNull().defaultNow(),
    /** Null until the invited person accepts: an invitation grants nothing before that. */
    acceptedAt: tz("accepted_at"),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("team_members_user_idx").on(t.userId)],
);

// ---- licensing ----
export const licenses = pgTable(
  "licenses",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** HMAC-SHA-256(server secret, normalised key), hex: the only way a key is looked up. */
    keyHash: text("key_hash").notNull(),
    /** `kid.iv.tag.ciphertext` (AES-256-GCM) so the owner can see the key again. */
    keyCiphertext: text("key_ciphertext").notNull(),
    /** The key with its random part masked, for lists and logs. */
    keyMasked: text("key_masked").notNull(),
    plan: text("plan").notNull(),
    /** active | suspended | revoked | superseded */
    state: text("state").notNull().default("active"),
    maxClients: integer("max_clients").notNull(),
    maxTicketsPerMonth: integer("max_tickets_per_month").notNull(),
    maxActivations: integer("max_activations").notNull(),
    features: jsonb("features").$type<string[]>().notNull(),
    email: text("email").notNull(),
    company: text("company"),
    /** The team whose Admin Panel shows it; null until its email's owner claims it (public trials). */
    teamId: uuid("team_id").references((): AnyPgColumn => teams.id, { onDelete: "set null" }),
    issuedAt: tz("issued_at").notNull().defaultNow(),
    expiresAt: tz("expires_at").notNull(),
    /** Set when an upgrade replaced this license; it keeps working until then. */
    graceEndsAt: tz("grace_ends_at"),
    supersededBy: uuid("superseded_by"),
    /** Deactivations that free a slot at once, per 30 days (the swap allowance); null: `maxActivations`. */
    swapsPer30Days: integer("swaps_per_30_days"),
    /** An installation silent for this long is deactivated; null: the certificate lifetime. */
    heartbeatWindowSeconds: integer("heartbeat_window_seconds"),
    stripeSubscriptionId: text("stripe_subscription_id"),
    cancelAtPeriodEnd: boolean("cancel_at_period_end").notNull().default(false),
    updatedAt: tz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("licenses_key_hash_idx").on(t.keyHash),
    index("licenses_team_idx").on(t.teamId),
    // The back office lists and exports newest first (a backward index scan). The columns its
    // plan, status and unclaimed filters read ride along, so a page's ids, however deep the page,
    // and the filtered counts come from the index alone (an index-only scan).
    index("licenses_list_idx").on(t.issuedAt, t.id, t.state, t.plan, t.expiresAt, t.graceEndsAt, t.teamId),
    index("licenses_email_idx").on(t.email),
    // The back office's search: email and company contain the text (trigrams, pg_trgm), or a key's last group.
    index("licenses_email_trgm_idx").using("gin", t.email.op("gin_trgm_ops")),
    index("licenses_company_trgm_idx").using("gin", t.company.op("gin_trgm_ops")),
    index("licenses_key_suffix_idx").on(sql`right(${t.keyMasked}, 4)`),
    // The status filters (backoffice.ts statusIs) by the license's end (its grace's end while
    // superseded), with the columns they read: a filtered count is a range of an index-only scan.
    index("licenses_status_end_idx").on(
      sql`(case when ${t.state} = 'superseded' and ${t.graceEndsAt} is not null and ${t.graceEndsAt} < ${t.expiresAt} then ${t.graceEndsAt} else ${t.expiresAt} end)`,
      t.state,
      t.plan,
      t.expiresAt,
      t.graceEndsAt,
    ),
    // A license's lineage (the ones it replaced by upgrade): the billing card's payment history.
    index("licenses_superseded_by_idx").on(t.supersededBy).where(sql`${t.supersededBy} is not null`),
    // The heartbeat cull's shortest window (licenses with their own).
    index("licenses_heartbeat_window_idx").on(t.heartbeatWindowSeconds).where(sql`${t.heartbeatWindowSeconds} > 0`),
    index("licenses_subscription_idx").on(t.stripeSubscriptionId),
    // Reminders and the back office look for licenses by expiry.
    index("licenses_expires_idx").on(t.expiresAt),
  ],
);

/**
 * Installations of a license. A row stays after deactivation: its slot is
 * held until `slotFreesAt` (the last certificate issued to it expires)
 * unless a swap freed it at once. A slot is taken while
 * `deactivated_at is null or slot_frees_at > now()`; see license/slots.ts.
 */
export const activations = pgTable(
  "activations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    licenseId: uuid("license_id")
      .notNull()
      .references(() => licenses.id, { onDelete: "cascade" }),
    instanceId: varchar("instance_id", { length: 128 }).notNull(),
    instanceName: varchar("instance_name", { length: 200 }),
    activatedAt: tz("activated_at").notNull().defaultNow(),
    lastSeenAt: tz("last_seen_at").notNull().defaultNow(),
    /** Clients this installation last reported; the license's clients are the sum over active rows. */
    clients: integer("clients").notNull().default(0),
    /** The latest `exp` of any certificate issued to this installation: certificates never outlive it. */
    certificateExpiresAt: tz("certificate_expires_at"),
    /** Null while active. */
    deactivatedAt: tz("deactivated_at"),
    /** installation | account | staff | cli | heartbeat */
    deactivatedBy: text("deactivated_by"),
    /** When a deactivated row's slot is free again (at once for a swap, else its certificate's expiry). */
    slotFreesAt: tz("slot_frees_at"),
    /**
     * `online`, or `air_gapped`: activated by a request file and answered with a signed license
     * file (docs/AIR-GAPPED.md). Air-gapped installations never check in, so the heartbeat leaves
     * them alone; their slot is held until the file's expiry unless a deactivation code frees it.
     */
    kind: text("kind").notNull().default("online"),
    /** Air-gapped: the installation's Ed25519 public key (base64url raw), bound into its license files. */
    instancePublicKey: text("instance_public_key"),
    /** Air-gapped: the current license file's id (`jti`); a deactivation code must name it. */
    licenseFileId: text("license_file_id"),
    /** Air-gapped: the nonce of the request the current license file answers (uploads are idempotent on it). */
    licenseFileNonce: text("license_file_nonce"),
    /** Air-gapped: the current license file (signed JSON; useless without the instance's private key), for re-download. */
    licenseFile: text("license_file"),
    licenseFileExpiresAt: tz("license_file_expires_at"),
  },
  (t) => [
    uniqueIndex("activations_license_instance_idx").on(t.licenseId, t.instanceId),
    // The heartbeat job looks for active installations by their last check-in.
    index("activations_heartbeat_idx").on(t.lastSeenAt).where(sql`${t.deactivatedAt} is null`),
    // ...and for active air-gapped installations whose license file has expired.
    index("activations_air_gapped_expiry_idx")
      .on(t.licenseFileExpiresAt)
      .where(sql`${t.deactivatedAt} is null and ${t.kind} = 'air_gapped'`),
  ],
);

/**
 * Every activation request an air-gapped installation's license file answered (docs/AIR-GAPPED.md),
 * by its nonce: a request is answered once, so an old one uploaded again cannot take a slot for a
 * file no installation can import any more.
 */
export const airGappedRequests = pgTable(
  "air_gapped_requests",
  {
    licenseId: uuid("license_id")
      .notNull()
      .references(() => licenses.id, { onDelete: "cascade" }),
    nonce: text("nonce").notNull(),
    instanceId: varchar("instance_id", { length: 128 }).notNull(),
    licenseFileId: text("license_file_id").notNull(),
    answeredAt: tz("answered_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.licenseId, t.nonce] })],
);

/**
 * Deactivations that freed a slot before the installation's certificate
 * expired. Counted per license over 30 days against the swap allowance;
 * staff releases (`override`) are recorded here too but do not use it.
 */
export const slotSwaps = pgTable(
  "slot_swaps",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    licenseId: uuid("license_id")
      .notNull()
      .references(() => licenses.id, { onDelete: "cascade" }),
    instanceId: varchar("instance_id", { length: 128 }).notNull(),
    at: tz("at").notNull().defaultNow(),
    override: boolean("override").notNull().default(false),
  },
  (t) => [index("slot_swaps_license_idx").on(t.licenseId, t.at)],
);

export const usageMonths = pgTable(
  "usage_months",
  {
    licenseId: uuid("license_id")
      .notNull()
      .references(() => licenses.id, { onDelete: "cascade" }),
    /** UTC month, `YYYY-MM`. */
    period: varchar("period", { length: 7 }).notNull(),
    tickets: integer("tickets").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.licenseId, t.period] })],
);

/**
 * Reminder mails already sent (expiry, trial ending, expired, usage). The
 * primary key is the rule: a reminder goes out at most once per license and
 * kind (the usage kinds carry their month), whatever the number of app
 * processes sending. An expiry reminder older than the license's current
 * expiry cycle (renewed since) may be claimed again; see lib/license/reminders.ts.
 */
export const reminders = pgTable(
  "reminders",
  {
    licenseId: uuid("license_id")
      .notNull()
      .references(() => licenses.id, { onDelete: "cascade" }),
    /** `expiry_30d`, `expiry_7d`, `expiry_1d`, `trial_ending_3d`, `expired`, `tickets_80_YYYY-MM`, `tickets_100_YYYY-MM` */
    kind: text("kind").notNull(),
    sentAt: tz("sent_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.licenseId, t.kind] })],
);

/** One trial per normalised email, ever: the primary key is the rule. */
export const trials = pgTable("trials", {
  email: text("email").primaryKey(),
  licenseId: uuid("license_id")
    .notNull()
    .references(() => licenses.id, { onDelete: "cascade" }),
  createdAt: tz("created_at").notNull().defaultNow(),
});

/**
 * One row per payment: a paid Checkout Session (its id is the idempotency key
 * of fulfilment) or a paid renewal or proration invoice (`in_…`, same rule).
 */
export const payments = pgTable(
  "payments",
  {
    /** The Stripe object that was paid: a Checkout Session (`cs_…`) or an invoice (`in_…`). */
    checkoutSessionId: text("checkout_session_id").primaryKey(),
    licenseId: uuid("license_id").references(() => licenses.id, { onDelete: "set null" }),
    plan: text("plan").notNull(),
    email: text("email").notNull(),
    company: text("company"),
    amountCents: integer("amount_cents").notNull(),
    currency: text("currency").notNull().default("usd"),
    /** test | stripe */
    mode: text("mode").notNull(),
    stripeCustomerId: text("stripe_customer_id"),
    stripeSubscriptionId: text("stripe_subscription_id"),
    /** When set, an upgrade from this license. */
    upgradeFromLicenseId: uuid("upgrade_from_license_id"),
    /** When set, this payment renewed (extended) this license instead of issuing one. */
    renewLicenseId: uuid("renew_license_id"),
    /** The subscription's first invoice and its payment, to find the license a refund or dispute is about. */
    stripeInvoiceId: text("stripe_invoice_id"),
    stripePaymentIntentId: text("stripe_payment_intent_id"),
    /** purchase | upgrade | renewal | proration */
    kind: text("kind").notNull().default("purchase"),
    /** Stripe's hosted receipt or invoice page; null in test mode (the portal renders its own). */
    receiptUrl: text("receipt_url"),
    createdAt: tz("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("payments_license_idx").on(t.licenseId, t.createdAt),
    // A license's payments include its renewals: the license page (either column), the customers'
    // revenue (the license a payment is for, coalesce(license_id, renew_license_id)).
    index("payments_renew_license_idx").on(t.renewLicenseId),
    index("payments_paid_license_idx").on(sql`coalesce(${t.licenseId}, ${t.renewLicenseId})`),
    index("payments_created_idx").on(t.createdAt),
    index("payments_subscription_idx").on(t.stripeSubscriptionId),
    index("payments_invoice_idx").on(t.stripeInvoiceId),
    index("payments_payment_intent_idx").on(t.stripePaymentIntentId),
  ],
);

/**
 * Every checkout we start (Stripe Checkout Session or test-mode session): what
 * was bought, by whom, and for which license (upgrade or renewal). Fulfilment
 * reads it; `payments` stays the one-license-per-session rule.
 */
export const checkoutSessions = pgTable(
  "checkout_sessions",
  {
    id: text("id").primaryKey(),
    plan: text("plan").notNull(),
    email: text("email").notNull(),
    company: text("company"),
    /** stripe | test */
    mode: text("mode").notNull(),
    /** open | paid */
    status: text("status").notNull().default("open"),
    upgradeFromLicenseId: uuid("upgrade_from_license_id"),
    renewLicenseId: uuid("renew_license_id"),
    /** The signed-in user who started it (null: signed out). */
    accountId: text("account_id").references(() => users.id, { onDelete: "set null" }),
    /** The team the new license joins (the buyer's); null: the team of the email's owner. */
    teamId: uuid("team_id").references(() => teams.id, { onDelete: "set null" }),
    /** SHA-256 of the token in the paying browser's cookie: the one-time key reveal is bound to it. */
    buyerTokenHash: text("buyer_token_hash"),
    /** When the success page showed the key to that browser (at most once). */
    keyRevealedAt: tz("key_revealed_at"),
    createdAt: tz("created_at").notNull().defaultNow(),
    paidAt: tz("paid_at"),
  },
  (t) => [index("checkout_sessions_email_idx").on(t.email)],
);

/**
 * Our copy of each subscription (Stripe's, or a local one in test mode), kept
 * from its events in the order Stripe created them (`lastEventAt`): an event
 * older than the one applied changes nothing, and an event that arrives before
 * its checkout is fulfilled is kept here, not lost.
 */
export const subscriptions = pgTable("subscriptions", {
  id: text("id").primaryKey(),
  /** stripe | test */
  mode: text("mode").notNull(),
  customerId: text("customer_id"),
  /** Stripe's status: active, past_due, canceled, … */
  status: text("status").notNull(),
  plan: text("plan"),
  cancelAtPeriodEnd: boolean("cancel_at_period_end").notNull().default(false),
  currentPeriodEnd: tz("current_period_end"),
  /** A downgrade that takes effect at the period end. */
  scheduledPlan: text("scheduled_plan"),
  /** The `created` time of the last event applied. */
  lastEventAt: tz("last_event_at"),
  /** Set while a prorated upgrade is in flight at Stripe: one at a time per subscription, across processes. */
  upgradeStartedAt: tz("upgrade_started_at"),
  updatedAt: tz("updated_at").notNull().defaultNow(),
});

/** Stripe event ids already processed, so a replayed webhook changes nothing. */
export const processedEvents = pgTable("processed_events", {
  eventId: text("event_id").primaryKey(),
  type: text("type").notNull(),
  processedAt: tz("processed_at").notNull().defaultNow(),
});

export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: tz("at").notNull().defaultNow(),
    licenseId: uuid("license_id"),
    /** Team changes (members, roles, primary license) carry their team. */
    teamId: uuid("team_id"),
    /** `system`, `installation:<id>`, `user:<id>`, `cli`, `stripe` */
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    ip: text("ip"),
  },
  (t) => [
    index("audit_license_idx").on(t.licenseId, t.at),
    index("audit_team_idx").on(t.teamId, t.at),
    // The audit page and export, newest first.
    index("audit_at_idx").on(t.at, t.id),
    // The audit page and export filtered by action.
    index("audit_action_idx").on(t.action, t.at, t.id),
  ],
);

/**
 * The back office overview's figures, counted by the job runner (`refresh-figures`) once the
 * license table is large: counting them live takes seconds there (license/backoffice.ts).
 */
export const figureSnapshots = pgTable("figure_snapshots", {
  id: text("id").primaryKey(),
  figures: jsonb("figures").$type<Record<string, unknown>>().notNull(),
  computedAt: tz("computed_at").notNull(),
});

/** Dev outbox: mail that would have been sent, shown at /dev/outbox outside production. */
export const mailOutbox = pgTable("mail_outbox", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  at: tz("at").notNull().defaultNow(),
  to: text("to").notNull(),
  subject: text("subject").notNull(),
  text: text("text").notNull(),
  html: text("html"),
});

/** rate-limiter-flexible's PostgreSQL store (its own shape; created here, not at run time). */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: varchar("key", { length: 255 }).primaryKey(),
    points: integer("points").notNull().default(0),
    expire: bigint("expire", { mode: "number" }),
  },
  // The pruning job deletes expired rows in batches.
  (t) => [index("rate_limits_expire_idx").on(t.expire)],
);

// ---- the integration surface: staff API tokens and outbound webhooks (docs/INTEGRATIONS-API.md) ----

/** Staff API tokens: shown once, stored as a SHA-256 of the token (256 random bits), scoped read or write. */
export const staffApiTokens = pgTable(
  "staff_api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** read | write (write includes read) */
    scope: text("scope").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    /** The token's first characters (`tzs_ab12`), to tell tokens apart; never enough to use one. */
    tokenPrefix: text("token_prefix").notNull(),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: tz("created_at").notNull().defaultNow(),
    lastUsedAt: tz("last_used_at"),
    lastUsedIp: text("last_used_ip"),
    revokedAt: tz("revoked_at"),
    revokedBy: text("revoked_by"),
  },
  (t) => [index("staff_api_tokens_created_idx").on(t.createdAt)],
);

/** Where the portal sends signed events. The signing secret is stored encrypted (the vault). */
export const webhookEndpoints = pgTable("webhook_endpoints", {
  id: uuid("id").primaryKey().defaultRandom(),
  url: text("url").notNull(),
  description: text("description").notNull().default(""),
  /** Event types subscribed to (WEBHOOK_EVENT_TYPES). */
  events: jsonb("events").$type<string[]>().notNull(),
  enabled: boolean("enabled").notNull().default(true),
  secretCiphertext: text("secret_ciphertext").notNull(),
  createdBy: text("created_by"),
  createdAt: tz("created_at").notNull().defaultNow(),
  updatedAt: tz("updated_at").notNull().defaultNow(),
  /** Set when the portal disabled it after repeated failure (staff re-enable it). */
  disabledAt: tz("disabled_at"),
  disabledReason: text("disabled_reason"),
  /** The first failed attempt since the last success; null while healthy. */
  failingSince: tz("failing_since"),
  /**
   * After a rotation the old secret also signs, until this time (Standard Webhooks allows several
   * signatures), so the receiver can be updated without failing deliveries meanwhile.
   */
  previousSecretCiphertext: text("previous_secret_ciphertext"),
  previousSecretExpiresAt: tz("previous_secret_expires_at"),
});

/**
 * The outbox: one row per event, written in the transaction that made the
 * change, so a rolled-back change leaves none and a committed one is never
 * lost. `id` is the Standard Webhooks `webhook-id` (msg_…), the same on every
 * attempt and replay.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    /** Commit-independent order of emission (per license: the order receivers see). */
    seq: bigserial("seq", { mode: "number" }).notNull().unique(),
    type: text("type").notNull(),
    licenseId: uuid("license_id"),
    /** The versioned JSON body, exactly as signed and sent. */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: tz("created_at").notNull().defaultNow(),
  },
  (t) => [index("webhook_events_created_idx").on(t.createdAt)],
);

/** One event to one endpoint. A stream (endpoint + license) is delivered in order, one at a time. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** The license id, or `-` for events about no license: deliveries of one stream go in order. */
    stream: text("stream").notNull(),
    /** pending | delivered | failed (gave up) | cancelled (endpoint disabled or deleted) */
    status: text("status").notNull().default("pending"),
    /** A job has been queued for this delivery's stream (set by the scheduler, not the emitter). */
    scheduled: boolean("scheduled").notNull().default(false),
    replayOf: bigint("replay_of", { mode: "number" }),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: tz("next_attempt_at").notNull().defaultNow(),
    lastAttemptAt: tz("last_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastDurationMs: integer("last_duration_ms"),
    lastError: text("last_error"),
    deliveredAt: tz("delivered_at"),
    createdAt: tz("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("webhook_deliveries_stream_idx").on(t.endpointId, t.stream, t.id),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt),
    index("webhook_deliveries_unscheduled_idx").on(t.id).where(sql`not ${t.scheduled}`),
    // A stream's head (its oldest pending delivery) without reading the delivered history.
    index("webhook_deliveries_pending_idx").on(t.endpointId, t.stream, t.id).where(sql`${t.status} = 'pending'`),
    // The endpoint list's "last delivery", and pruning an event's deliveries (the cascade).
    index("webhook_deliveries_last_attempt_idx").on(t.endpointId, t.lastAttemptAt),
    index("webhook_deliveries_event_idx").on(t.eventId),
  ],
);

/** Every attempt of a delivery: what was sent back and how long it took (the delivery log). */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    deliveryId: bigint("delivery_id", { mode: "number" })
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    at: tz("at").notNull().defaultNow(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    /** A network or policy error (timeout, refused address), when there was no HTTP answer. */
    error: text("error"),
    /** The first 1 KB of the answer, for the log. */
    responseExcerpt: text("response_excerpt"),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.at)],
);

/**
 * Each job runner's worker pool while it lives (server/job-recovery.ts): refreshed every 15 s by
 * its process, removed when the pool ends. A pool whose row went stale, or that has none, died;
 * the jobs and queues it still holds are given back.
 */
export const jobRunnerPools = pgTable("job_runner_pools", {
  /** graphile-worker's pool id: what its jobs and queues are locked by. */
  poolId: text("pool_id").primaryKey(),
  seenAt: tz("seen_at").notNull().defaultNow(),
});
