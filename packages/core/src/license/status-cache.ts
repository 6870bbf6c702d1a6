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
 * - The cache answers only while that listener is known to keep up: each
 *   process notifies itself a ping carrying its send time every 250 ms, and
 *   answers from memory only while the newest ping that came back was sent
 *   within LIVE_FOR_MS. A ping that comes back proves that every change
 *   committed before it was sent has arrived, so a lagging, stalled or cut
 *   listener stops the cache within a second. A listener whose pings stop
 *   coming back is replaced; a new one starts the cache empty (notifications
 *   sent meanwhile are lost).
 * - A query that began before a license was dropped never stores what it
 *   read (the mark taken before the query): a change that commits while a
 *   request is reading cannot be overwritten by the older read.
 * - An entry lives at most STATUS_CACHE_SECONDS (the safety net), and never
 *   past the moment its own facts change by the clock alone (a held slot
 *   freeing, a swap leaving its window); the caller passes that moment.
 *
 * Bounded: at most STATUS_CACHE_MAX_LICENSES licenses, least recently used
 * dropped first. Times are this process's monotonic clock.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { getSql, sessionDatabaseUrl, withApplicationName } from "../db/client";
import { type Listener, listen } from "../db/listen";
import { config } from "../server/config";

export const LICENSE_CHANGED_CHANNEL = "tz_license_changed";
const PING_INTERVAL_MS = 250;
/** Answer from memory only while the newest ping that came back was sent this recently. */
const LIVE_FOR_MS = 1_000;
/** A listener connected this long whose pings stopped coming back is replaced. */
const REPLACE_AFTER_MS = 5_000;
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

/** Taken before a read: the drop sequence number, and when (monotonic ms). */
export type Mark = { seq: number; at: number };

type State = {
  listener: Listener;
  pinger: NodeJS.Timeout;
  token: string;
  /** When the newest ping that came back was sent (monotonic ms). */
  lastEcho: number;
  /** When the current listener connected (monotonic ms). */
  connectedAt: number;
  /** settle(): pings awaited by their payload. */
  waiting: Map<string, () => void>;
};

let state: State | null = null;
let seq = 0;
let flushedSeq = 0;
/**
 * License id (or `key:` + key hash) → its last drop, oldest first (re-inserted on each drop), so
 * pruning past MARK_MAX_AGE_MS stops at the first young one.
 */
const dropped = new Map<string, Mark>();
/** Key hash → entry, in least-recently-used order. */
const entries = new Map<string, CachedLicense<unknown, unknown>>();
/** License id → key hash. */
const keyOf = new Map<string, string>();
const stats = { hits: 0, misses: 0, drops: 0, flushes: 0 };

function recordDrop(id: string) {
  const now = performance.now();
  dropped.delete(id);
  dropped.set(id, { seq: ++seq, at: now });
  for (const [oldest, drop] of dropped) {
    if (now - drop.at <= MARK_MAX_AGE_MS) break;
    dropped.delete(oldest);
  }
}

function dropLicense(licenseId: string) {
  stats.drops++;
  recordDrop(licenseId);
  const keyHash = keyOf.get(licenseId);
  if (keyHash !== undefined) {
    entries.delete(keyHash);
    keyOf.delete(licenseId);
  }
}

function flush() {
  seq++;
  stats.flushes++;
  flushedSeq = seq;
  entries.clear();
  keyOf.clear();
  dropped.clear();
}

/**
 * Starts this process's cache: its listener and its ping. Without it (tools,
 * tests that do not start it) every lookup misses and nothing is stored.
 */
export function startStatusCache(url = sessionDatabaseUrl()): void {
  if (state || config().statusCache.seconds <= 0) return;
  const token = randomBytes(8).toString("hex");
  const ping = `ping:${token}:`;
  const listener = listen(withApplicationName(url, "ticketzero-license-portal-status-cache"), LICENSE_CHANGED_CHANNEL, {
    onNotification: (payload) => {
      if (payload.startsWith("ping:")) {
        // Another process's ping, or this one's: `ping:<token>:<sent at>` or a settle's `…:s<n>`.
        if (!state || !payload.startsWith(ping)) return;
        const rest = payload.slice(ping.length);
        if (rest.startsWith("s")) {
          state.waiting.get(rest)?.();
          state.waiting.delete(rest);
        } else state.lastEcho = Math.max(state.lastEcho, Number(rest));
      } else if (payload === "*") flush();
      else dropLicense(payload);
    },
    // Notifications sent while the listener was away are lost: start again from nothing.
    onConnect: () => {
      flush();
      if (state) state.connectedAt = performance.now();
    },
    onDisconnect: flush,
  });
  const pinger = setInterval(() => {
    if (!listener.connected || !state) return;
    const now = performance.now();
    if (now - Math.max(state.lastEcho, state.connectedAt) > REPLACE_AFTER_MS) {
      // Connected, yet nothing comes back: a link that died without a word. Reconnect.
      state.connectedAt = now;
      void listener.client?.end().catch(() => {});
      return;
    }
    getSql()`select pg_notify(${LICENSE_CHANGED_CHANNEL}, ${ping + now})`.catch(() => {});
  }, PING_INTERVAL_MS);
  pinger.unref();
  state = { listener, pinger, token, lastEcho: 0, connectedAt: performance.now(), waiting: new Map() };
}

/** Stops the cache; returns what it did since it started (the launcher logs it), or null if it was not running. */
export async function stopStatusCache(): Promise<ReturnType<typeof statusCacheStats> | null> {
  const current = state;
  if (!current) return null;
  const done = statusCacheStats();
  state = null;
  clearInterval(current.pinger);
  await current.listener.stop();
  flush();
  return done;
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
  const id = `s${++settles}`;
  const echoed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      current.waiting.delete(id);
      resolve(false);
    }, timeoutMs);
    current.waiting.set(id, () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  await getSql()`select pg_notify(${LICENSE_CHANGED_CHANNEL}, ${`ping:${current.token}:${id}`})`.catch(() => {});
  return echoed;
}

/** Whether lookups may be answered from memory now. */
export function statusCacheLive(): boolean {
  if (!state?.listener.connected) return false;
  return performance.now() - state.lastEcho < LIVE_FOR_MS;
}

/** Taken before reading the database: `store` refuses what was read before a later drop. */
export function readMark(): Mark {
  return { seq, at: performance.now() };
}

/** The entry of `keyHash` for usage month `period` at `now` (epoch ms; the answer's clock), or null. */
export function lookup<License, Installation>(
  keyHash: string,
  period: string,
  now: number,
): CachedLicense<License, Installation> | null {
  if (!statusCacheLive()) return null;
  const entry = entries.get(keyHash);
  if (!entry || entry.until <= now || entry.period !== period) return null;
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
  entry: Omit<CachedLicense<License, Installation>, "installations">,
): CachedLicense<License, Installation> | null {
  if (!state) return null;
  const droppedSince = (id: string) => (dropped.get(id)?.seq ?? 0) > mark.seq;
  if (flushedSeq > mark.seq || droppedSince(entry.licenseId) || droppedSince(`key:${keyHash}`)) return null;
  if (performance.now() - mark.at > MARK_MAX_AGE_MS) return null;
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
  recordDrop(`key:${keyHash}`);
}

/** One answer given: from memory (a hit) or from the database (a miss, or a check-in due). */
export function countAnswer(fromMemory: boolean): void {
  if (fromMemory) stats.hits++;
  else stats.misses++;
}

/** For the launcher's log and tests: answers from memory and from the database, drops, flushes, size. */
export function statusCacheStats() {
  return { ...stats, licenses: entries.size, live: statusCacheLive() };
}
