/**
 * Runs the portal: `npm start` (production build), `npm run dev` (Next.js dev
 * mode), `npm run demo` (production build plus demo data). The fast
 * installation path and Next.js share one HTTP server and one port.
 *
 * Two roles (node:cluster). The supervisor validates the configuration,
 * brings up the database (and owns the embedded one), then runs the app in a
 * worker process and starts a new one if it dies — a driver fault or an
 * out-of-memory kill costs seconds, not the service. The worker serves HTTP.
 */
import "./support/require-supported-node";
import cluster from "node:cluster";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { config } from "@ticketzero/core/server/config";

const args = new Set(process.argv.slice(2));
const dev = args.has("--dev");
const demo = args.has("--demo");
// `--api-only` serves just the installation API (no Next.js build needed): tests, simulations.
const apiOnly = args.has("--api-only");
const port = Number(process.env.PORT || 3000);

if (cluster.isPrimary) await supervise();
else await serveHttp();

// The supervisor loads only what it needs (config, database bootstrap); the app process the rest.
async function supervise(): Promise<void> {
  const { assertProductionReady, bootstrapDatabase } = await import("@ticketzero/core/server/bootstrap");
  // `npm start` is production. Development (dev outbox, generated secrets, test-mode checkout)
  // only under `npm run dev`, `npm run demo`, or an explicit APP_ENV=development.
  process.env.APP_ENV ||= dev || demo ? "development" : "production";
  (process.env as Record<string, string>).NODE_ENV = dev ? "development" : "production";
  process.env.AUTH_TRUST_HOST ||= "true";
  if (process.env.APP_ENV === "development") {
    process.env.PUBLIC_URL ||= `http://localhost:${port}`;
    // Development only: sessions last as long as this process.
    process.env.AUTH_SECRET ||= randomBytes(32).toString("base64url");
  }
  // Local webhook receivers (http://localhost:…) for `npm run dev` / `npm run demo`; never implied elsewhere.
  if (dev || demo) process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS ||= "true";
  try {
    assertProductionReady();
  } catch (error) {
    // A configuration problem is the operator's to fix: say what, without a stack trace.
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  if (config().webhooks.allowPrivateTargets) {
    console.warn(
      "[webhooks] WARNING: WEBHOOK_ALLOW_PRIVATE_TARGETS=true: webhooks may go to http:// and to private, loopback and link-local addresses (SSRF protection off). For development and tests only.",
    );
  }

  const database = await bootstrapDatabase(); // sets DATABASE_URL for the worker when embedded
  if (demo) {
    const { seedDemo } = await import("@ticketzero/core/license/demo");
    await seedDemo();
    const { closeDb } = await import("@ticketzero/core/db/client");
    await closeDb();
  }
  const databaseLabel = database.embedded ? `embedded database in ${config().dataDir}` : "PostgreSQL";

  let stopping = false;
  let recentDeaths: number[] = [];
  const fork = () => cluster.fork({ TZ_DATABASE_LABEL: databaseLabel });
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) void database.stop().finally(() => process.exit(0));
      return;
    }
    const now = Date.now();
    recentDeaths = [...recentDeaths.filter((t) => now - t < 60_000), now];
    const delay = Math.min(250 * 2 ** (recentDeaths.length - 1), 10_000);
    console.error(
      `[supervisor] app process ${worker.process.pid} died (${signal ?? `exit ${code}`}); starting another in ${delay} ms`,
    );
    setTimeout(() => !stopping && fork(), delay);
  });
  fork();

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {});
      if (workers.length === 0) void database.stop().finally(() => process.exit(0));
      for (const worker of workers) worker?.process.kill("SIGTERM");
      setTimeout(() => process.exit(0), 10_000).unref();
    });
  }
}

async function serveHttp(): Promise<void> {
  const { installProcessGuards } = await import("@ticketzero/core/server/process-guards");
  const { errorResponse, json } = await import("@ticketzero/core/http/api");
  const { resolveClientIp, withClientIp } = await import("@ticketzero/core/http/client-ip");
  const { handleFast, send } = await import("@ticketzero/core/http/fast-server");
  const { closeIfBodyUnread, preflight } = await import("@ticketzero/core/http/front-door");
  const { securityHeaders } = await import("@ticketzero/core/server/security-headers");
  installProcessGuards();
  // The supervisor may be killed outright (SIGKILL): an app without it has no one to answer to.
  process.on("disconnect", () => process.exit(0));

  let nextHandler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  if (apiOnly) {
    nextHandler = async (_req, res) => send(res, json(404, { error: { code: "NOT_FOUND", message: "Not found." } }));
  } else {
    const { default: next } = await import("next");
    const app = next({ dev, dir: process.cwd(), port, hostname: "localhost" });
    await app.prepare();
    nextHandler = app.getRequestHandler();
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      closeIfBodyUnread(req, res);
      const refusal = preflight(req);
      if (refusal) return send(res, refusal);
      if (await handleFast(req, res)) return;
      await nextHandler(req, res);
    } catch (error) {
      if (!res.headersSent) send(res, errorResponse(error));
      else res.destroy();
    }
  }

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders())) res.setHeader(name, value);
    // The client address, resolved once from the socket (or trusted proxies) for everything this request runs.
    void withClientIp(resolveClientIp(req), () => serve(req, res));
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, () => {
    console.info(
      `TicketZero License Portal on http://localhost:${port} (Node.js ${process.version}, ${apiOnly ? "installation API only" : dev ? "dev" : "production build"}, ${process.env.TZ_DATABASE_LABEL}, APP_ENV=${config().appEnv}, app pid ${process.pid})`,
    );
  });

  // The status cache: installations' check-ins answered from memory, every change dropped by NOTIFY.
  const { startStatusCache, stopStatusCache } = await import("@ticketzero/core/license/status-cache");
  startStatusCache();

  // The job runner (graphile-worker, on the same database): reminder mails and the heartbeat cull,
  // each recurring run once per schedule however many app processes run. JOBS=off turns it off.
  let jobs: { stop(): Promise<void> } | null = null;
  if (!apiOnly && config().jobsEnabled) {
    const { describeSchedule, startJobs } = await import("@ticketzero/core/server/jobs");
    const runner = startJobs();
    jobs = runner;
    console.info(`[jobs] job runner started (${describeSchedule()})`);
    void runner.ready.then(() => console.info("[jobs] job runner ready"));
  }

  let stopping = false;
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    // The job runner finishes the job it is running, then the pools close.
    const cacheStopped = stopStatusCache().then((done) => {
      if (done) {
        console.info(
          `[status-cache] since start: ${done.hits} answers from memory, ${done.misses} from the database, ${done.drops} licenses dropped by notification, ${done.flushes} full flushes`,
        );
      }
    });
    void Promise.all([jobs?.stop(), cacheStopped])
      .then(() => import("@ticketzero/core/db/client"))
      .then(({ closeDb }) => closeDb())
      .finally(() => process.exit(0));
  });
  process.on("SIGINT", () => {}); // Ctrl-C reaches the whole group: the supervisor decides.
}
