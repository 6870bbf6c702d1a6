/**
 * Sessions that must stay one session: a PostgreSQL connection of its own
 * (node-postgres, as the job runner uses) for LISTEN and for session-level
 * advisory locks, reconnected with a backoff (1 s doubling to 30 s) when the
 * database goes away, until stop().
 *
 * `onConnect` sets each new session up (LISTEN, take locks) before it counts
 * as connected, then `onReady` runs: whatever the previous session held or was
 * told meanwhile is gone, so a subscriber re-reads (the webhook scheduler's
 * pass) or forgets (the status cache) what it knew. `onDisconnect` runs when
 * the session is lost.
 *
 * These need a real session: through PgBouncer, DATABASE_SESSION_URL points
 * them at a session-mode pool or at PostgreSQL itself (docs/SCALE-OUT.md).
 */
import pg from "pg";

export type SessionHandlers = {
  /** Sets a new session up (LISTEN, take locks) before it counts as connected. */
  onConnect?(client: pg.Client): Promise<void> | void;
  /** Then, once it counts as connected. */
  onReady?(): void;
  onNotification?(channel: string, payload: string): void;
  onDisconnect?(): void;
};

export type KeptSession = {
  /** The session is up and `onConnect` has run on it (as far as this process knows). */
  readonly connected: boolean;
  /** The current session, for a query that must run on it; null while reconnecting. */
  readonly client: pg.Client | null;
  stop(): Promise<void>;
};

export function keepSession(url: string, handlers: SessionHandlers): KeptSession {
  let stopped = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  const retry = () => {
    if (stopped || timer) return;
    const delay = Math.min(1_000 * 2 ** failures++, 30_000);
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
    timer.unref();
  };
  const connect = async () => {
    if (stopped) return;
    // Keepalive probes from 10 s: the OS notices a dead link in minutes, not after 2 hours of idle (the status cache,
    // which pings itself, replaces a silent one sooner).
    const c = new pg.Client({ connectionString: url, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      const wasCurrent = client === c;
      if (wasCurrent) client = null;
      c.end().catch(() => {});
      if (wasCurrent) handlers.onDisconnect?.();
      retry();
    };
    c.on("error", onLost);
    c.on("end", onLost);
    c.on("notification", (message) => {
      if (client === c) handlers.onNotification?.(message.channel, message.payload ?? "");
    });
    try {
      await c.connect();
      await handlers.onConnect?.(c);
      if (stopped || lost) {
        await c.end().catch(() => {});
        return;
      }
      client = c;
      failures = 0;
      handlers.onReady?.();
    } catch {
      onLost();
    }
  };
  void connect();
  return {
    get connected() {
      return client !== null;
    },
    get client() {
      return client;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    },
  };
}

export type ListenHandlers = {
  onNotification(payload: string): void;
  /** After each (re)connect, once the LISTEN is in place. */
  onConnect?(): void;
  onDisconnect?(): void;
};

/** A session LISTENing on one channel. */
export function listen(url: string, channel: string, handlers: ListenHandlers): KeptSession {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  return keepSession(url, {
    onConnect: async (client) => {
      await client.query(`LISTEN ${channel}`);
    },
    onReady: handlers.onConnect,
    onNotification: (from, payload) => {
      if (from === channel) handlers.onNotification(payload);
    },
    onDisconnect: handlers.onDisconnect,
  });
}
