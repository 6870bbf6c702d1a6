/**
 * The status cache: what `GET /api/license-status` needs of a license, kept
 * in this process's memory so that an installation's check-in is answered
 * without a database round trip (license-status.ts decides what to keep).
 *
 * Invariants:
 * - Nothing is answered from memory that PostgreSQL changed more than about a
 *   second ago. Every change to a license's status (the license, its
 *   activations, usage and swaps) notifies `tz_license_changed` with its id at
 *   commit (migration 0015's triggers: no code path can forget); every app
 *   process LISTENs and drops that license ('*': everything).
 * - The cache answers only while that listener is known to be live: each
 *   process notifies itself a ping every second and answers from memory only
 *   while its last ping came back within LIVE_FOR_MS. A lost or silently dead
 *   connection stops the cache within that time; a reconnect starts it empty
 *   (notifications sent meanwhile are lost).
 * - A query that began before a license was dropped never stores what it
 *   read (the mark taken before the query): a change that commits while a
 *   request is reading cannot be overwritten by the older read.
 * - An entry lives at most STATUS_CACHE_SECONDS (the safety net), and never
 *   past the moment its own facts change by the clock alone (a held slot
 *   freeing); the caller passes that moment.
 *
 * Bounded: at most STATUS_CACHE_MAX_LICENSES licenses, least recently used
 * dropped first.
 */
import { randomBytes } from "node:crypto";
import { getSql, sessionDatabaseUrl } from "../db/client";
import { type KeptSession, listen } from "../db/listen";
import { config } from "../server/config";

export const LICENSE_CHANGED_CHANNEL = "tz_license_changed";
const PING_INTERVAL_MS = 1_000;
/** Answer from memory only while the listener's last ping came back this recently. */
const LIVE_FOR_MS = 2_500;
/** A read older than this stores nothing (its drops may have been pruned). */
const MARK_MAX_AGE_MS = 30_000;

/** What a cached license holds: the license's facts, and per activated installation its own. */
export type CachedLicense<License, Installation> = {
  licenseId: string;
  license: License;
  /** The usage month the facts are of. */
  period: string;
  /** Epoch ms after which the entry is not used. */
  until: number;
  installations: Map<string, Installation>;
};

type Mark = { seq: number; at: number };

type State = {
  listener: KeptSession;
  pinger: NodeJS.Timeout;
  token: string;
  lastEcho: number;
  /** settle(): pings awaited by their payload. */
  waiting: Map<string, () => void>;
};

let state: State | null = null;
let seq = 0;
let flushedSeq = 0;
/** License id (or `key:` + key hash) → seq of its last drop, with when (pruned past MARK_MAX_AGE_MS). */
const dropped = new Map<string, { seq: number; at: number }>();
/** Key hash → entry, in least-recently-used order. */
const entries = new Map<string, CachedLicense<unknown, unknown>>();
/** License id → key hash. */
const keyOf = new Map<string, string>();
const stats = { hits: 0, misses: 0, drops: 0, flushes: 0 };

function dropLicense(licenseId: string) {
  seq++;
  stats.drops++;
  dropped.set(licenseId, { seq, at: Date.now() });
  const keyHash = keyOf.get(licenseId);
  if (keyHash !== undefined) {
    entries.delete(keyHash);
    keyOf.delete(licenseId);
  }
  if (dropped.size > 50_000) pruneDrops();
}

function flush() {
  seq++;
  stats.flushes++;
  flushedSeq = seq;
  entries.clear();
  keyOf.clear();
  dropped.clear();
}

function pruneDrops() {
  const cutoff = Date.now() - MARK_MAX_AGE_MS;
  for (const [id, drop] of dropped) if (drop.at < cutoff) dropped.delete(id);
}

/**
 * Starts this process's cache: its listener and its ping. Without it (tools,
 * tests that do not start it) every lookup misses and nothing is stored.
 */
export function startStatusCache(url = sessionDatabaseUrl()): void {
  if (state || config().statusCache.seconds <= 0) return;
  const token = randomBytes(8).toString("hex");
  const ping = `ping:${token}`;
  const listener = listen(url, LICENSE_CHANGED_CHANNEL, {
    onNotification: (payload) => {
      if (payload.startsWith("ping:")) {
        if (!state) return;
        if (payload.startsWith(ping)) state.lastEcho = Date.now();
        state.waiting.get(payload)?.();
        state.waiting.delete(payload);
      } else if (payload === "*") flush();
      else dropLicense(payload);
    },
    // Notifications sent while the listener was away are lost: start again from nothing.
    onConnect: flush,
    onDisconnect: flush,
  });
  const pinger = setInterval(() => {
    if (!listener.connected) return;
    getSql()`select pg_notify(${LICENSE_CHANGED_CHANNEL}, ${ping})`.catch(() => {});
  }, PING_INTERVAL_MS);
  pinger.unref();
  state = { listener, pinger, token, lastEcho: 0, waiting: new Map() };
}

export async function stopStatusCache(): Promise<void> {
  const current = state;
  state = null;
  if (!current) return;
  clearInterval(current.pinger);
  await current.listener.stop();
  flush();
}

let settles = 0;
/**
 * Resolves once every change committed before the call has reached this cache: a ping sent now
 * comes back after every notification committed before it (one connection delivers in commit
 * order). For tests and tools; false when the cache is not running or the ping did not come back.
 */
export async function settleStatusCache(timeoutMs = 5_000): Promise<boolean> {
  const current = state;
  if (!current) return false;
  const payload = `ping:${current.token}:${++settles}`;
  const echoed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      current.waiting.delete(payload);
      resolve(false);
    }, timeoutMs);
    current.waiting.set(payload, () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  await getSql()`select pg_notify(${LICENSE_CHANGED_CHANNEL}, ${payload})`.catch(() => {});
  return echoed;
}

/** Whether lookups may be answered from memory now. */
export function statusCacheLive(now = Date.now()): boolean {
  if (!state?.listener.connected) return false;
  return now - state.lastEcho < LIVE_FOR_MS;
}

/** Taken before reading the database: `store` refuses what was read before a later drop. */
export function readMark(): Mark {
  return { seq, at: Date.now() };
}

export function lookup<License, Installation>(
  keyHash: string,
  period: string,
  now: number,
): CachedLicense<License, Installation> | null {
  if (!statusCacheLive(now)) return null;
  const entry = entries.get(keyHash);
  if (!entry || entry.until <= now || entry.period !== period) {
    stats.misses++;
    return null;
  }
  stats.hits++;
  entries.delete(keyHash); // most recently used last
  entries.set(keyHash, entry);
  return entry as CachedLicense<License, Installation>;
}

/**
 * Stores (or refreshes) a license's facts read after `mark`; returns the entry, or null when
 * nothing may be stored (no cache, or the license was dropped since the read began).
 */
export function store<License, Installation>(
  keyHash: string,
  mark: Mark,
  entry: Omit<CachedLicense<License, Installation>, "installations" | "until"> & { until: number },
): CachedLicense<License, Installation> | null {
  if (!state) return null;
  const droppedSince = (id: string) => (dropped.get(id)?.seq ?? 0) > mark.seq;
  if (flushedSeq > mark.seq || droppedSince(entry.licenseId) || droppedSince(`key:${keyHash}`)) return null;
  if (Date.now() - mark.at > MARK_MAX_AGE_MS) return null;
  const ttl = config().statusCache.seconds * 1000;
  const until = Math.min(entry.until, Date.now() + ttl);
  const existing = entries.get(keyHash) as CachedLicense<License, Installation> | undefined;
  // The installations already known stay: their rows are not part of what was just read for another.
  const installations =
    existing?.licenseId === entry.licenseId ? existing.installations : new Map<string, Installation>();
  const fresh: CachedLicense<License, Installation> = { ...entry, until, installations };
  entries.delete(keyHash);
  entries.set(keyHash, fresh as CachedLicense<unknown, unknown>);
  keyOf.set(entry.licenseId, keyHash);
  const max = config().statusCache.maxLicenses;
  while (entries.size > max) {
    const [oldestKey, oldest] = entries.entries().next().value as [string, CachedLicense<unknown, unknown>];
    entries.delete(oldestKey);
    keyOf.delete(oldest.licenseId);
  }
  return fresh;
}

/** This process's own write (an installation's activation, usage, deactivation): dropped at once, not at its notification. */
export function forgetKey(keyHash: string): void {
  const entry = entries.get(keyHash);
  if (entry) dropLicense(entry.licenseId);
  // A read of this key still under way stores nothing either.
  dropped.set(`key:${keyHash}`, { seq: ++seq, at: Date.now() });
}

/** For the benchmark and tests: hits, misses, drops, flushes, size. */
export function statusCacheStats() {
  return { ...stats, licenses: entries.size, live: statusCacheLive() };
}
