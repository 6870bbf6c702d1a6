/**
 * The status of a license, as installations and people see it. The hot path
 * (`statusByKey`) is one SQL statement: the license by its indexed key hash,
 * this month's tickets, the activation count, this installation's activation,
 * and, at most once a minute per installation, its check-in time.
 */
import { sql } from "drizzle-orm";
import { getDb, getSql } from "../db/client";
import { config } from "../server/config";
import { signCertificate } from "./certificate";
import { LicenseError } from "./errors";
import { parseKey } from "./keys";
import { factsOf, installationsOf, type LicenseRow, licensesOfAccount } from "./licenses";
import type { PlanId } from "./plans";
import { computeStatus, effectiveEnd, type LicenseFacts, notFoundStatus, usagePeriod } from "./status";
import type { LicenseStatusBody } from "./types";
import { hashKey } from "./vault";

type StatusRow = {
  id: string;
  plan: string;
  state: string;
  key_masked: string;
  max_clients: number;
  max_tickets_per_month: number;
  max_activations: number;
  features: string[];
  issued_at: Date | string;
  expires_at: Date | string;
  grace_ends_at: Date | string | null;
  clients: number;
  cancel_at_period_end: boolean;
  tickets: number;
  activation_count: number;
  activated_at: Date | string | null;
};

const asDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function factsFromRow(row: StatusRow): LicenseFacts {
  return {
    id: row.id,
    plan: row.plan as PlanId,
    state: row.state,
    keyMasked: row.key_masked,
    maxClients: row.max_clients,
    maxTicketsPerMonth: row.max_tickets_per_month,
    maxActivations: row.max_activations,
    features: row.features,
    issuedAt: asDate(row.issued_at),
    expiresAt: asDate(row.expires_at),
    graceEndsAt: row.grace_ends_at ? asDate(row.grace_ends_at) : null,
    clients: row.clients,
    cancelAtPeriodEnd: row.cancel_at_period_end,
  };
}

/** Adds the offline certificate when the license is usable; it never outlives the license. */
export function withCertificate(body: LicenseStatusBody, license: LicenseFacts, instanceId: string | null, now: Date) {
  if (!body.valid) return body;
  const iat = Math.floor(now.getTime() / 1000);
  const exp = Math.min(iat + config().certificateTtlSeconds, Math.floor(effectiveEnd(license).getTime() / 1000));
  body.certificate = signCertificate({
    iss: "ticketzero-license-portal",
    sub: license.id,
    lid: license.id,
    plan: license.plan,
    features: license.features,
    limits: body.limits!,
    instanceId: body.activation ? instanceId : null,
    status: body.status,
    iat,
    exp,
  });
  return body;
}

/**
 * Raw SQL run as a named prepared statement: one round trip per request (an
 * unprepared query costs postgres.js a second one to describe its parameters).
 * $1 key hash, $2 now, $3 instance id, $4 check-in write threshold, $5 period.
 */
const STATUS_QUERY = `
  with l as (select * from licenses where key_hash = $1),
  touched as (
    update activations a set last_seen_at = $2::timestamptz
    from l
    where a.license_id = l.id and a.instance_id = $3::text and a.last_seen_at < $4::timestamptz
    returning a.id
  )
  select l.id, l.plan, l.state, l.key_masked, l.max_clients, l.max_tickets_per_month, l.max_activations,
    l.features, l.issued_at, l.expires_at, l.grace_ends_at, l.clients, l.cancel_at_period_end,
    coalesce((select u.tickets from usage_months u where u.license_id = l.id and u.period = $5), 0) as tickets,
    (select count(*)::int from activations a where a.license_id = l.id) as activation_count,
    (select a.activated_at from activations a where a.license_id = l.id and a.instance_id = $3::text) as activated_at
  from l`;

/**
 * `GET /api/license-status` with a key. Throws INVALID_FORMAT / LICENSE_NOT_FOUND;
 * an expired or revoked license is a 200 whose body says so.
 */
export async function statusByKey(rawKey: unknown, instanceId: string | null, now = new Date()) {
  const parsed = parseKey(rawKey);
  if (!parsed) throw new LicenseError("INVALID_FORMAT", "That is not a TicketZero license key.");
  const period = usagePeriod(now);
  const touchAfter = new Date(now.getTime() - config().checkInWriteSeconds * 1000);
  const rows = await getSql().unsafe<StatusRow[]>(
    STATUS_QUERY,
    [hashKey(parsed.key), now.toISOString(), instanceId, touchAfter.toISOString(), period],
    { prepare: true },
  );
  const row = rows[0];
  if (!row) throw new LicenseError("LICENSE_NOT_FOUND", "License not found.");
  const license = factsFromRow(row);
  const body = computeStatus({
    license,
    ticketsThisMonth: row.tickets,
    activationCount: row.activation_count,
    activation: row.activated_at && instanceId ? { instanceId, activatedAt: asDate(row.activated_at) } : null,
    now,
  });
  return withCertificate(body, license, instanceId, now);
}

/** The status of one stored license (admin panel, CLI), with its installations. */
export async function statusOfLicense(license: LicenseRow, now = new Date()) {
  const [installations, usage] = await Promise.all([
    installationsOf(license.id),
    getDb().execute<{ tickets: number }>(
      sql`select tickets from usage_months where license_id = ${license.id} and period = ${usagePeriod(now)}`,
    ),
  ]);
  const status = computeStatus({
    license: factsOf(license),
    ticketsThisMonth: usage[0]?.tickets ?? 0,
    activationCount: installations.length,
    activation: null,
    now,
  });
  return { status, installations };
}

/** The license an account admin sees: the newest usable one, else the newest of any kind. */
export async function accountLicense(accountId: string, now = new Date()) {
  const all = await licensesOfAccount(accountId);
  if (!all.length) return { license: null, status: notFoundStatus(), installations: [], all };
  const ranked = await Promise.all(all.map(async (license) => ({ license, ...(await statusOfLicense(license, now)) })));
  const best =
    ranked.find((r) => r.status.valid && r.license.state !== "superseded") ??
    ranked.find((r) => r.status.valid) ??
    ranked[0]!;
  return { ...best, all };
}
