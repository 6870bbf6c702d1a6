/**
 * A LISTEN connection: one PostgreSQL session of its own (node-postgres, as
 * the job runner uses) on one channel, reconnected with a backoff (1 s
 * doubling to 30 s) when the database goes away, until stop().
 *
 * `onConnect` runs after each (re)connect, once the LISTEN is in place:
 * notifications sent while the connection was away are lost, so a subscriber
 * re-reads (the webhook scheduler's pass) or forgets (the status cache) what
 * it knew. `onDisconnect` runs when the session is lost.
 *
 * LISTEN needs a real session: through PgBouncer, DATABASE_SESSION_URL points
 * it at a session-mode pool or at PostgreSQL itself (docs/SCALE-OUT.md).
 */
import pg from "pg";

export type ListenHandlers = {
  onNotification(payload: string): void;
  onConnect?(): void;
  onDisconnect?(): void;
};

export type Listener = {
  /** The LISTEN is in place on a live session (as far as this process knows). */
  readonly connected: boolean;
  /** The current session (the status cache ends a silent one to reconnect); null while reconnecting. */
  readonly client: pg.Client | null;
  stop(): Promise<void>;
};

export function listen(url: string, channel: string, handlers: ListenHandlers): Listener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
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
      if (client === c && message.channel === channel) handlers.onNotification(message.payload ?? "");
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      if (stopped || lost) {
        await c.end().catch(() => {});
        return;
      }
      client = c;
      failures = 0;
      handlers.onConnect?.();
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
