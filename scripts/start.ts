/**
 * Runs the portal: `npm start` (production build), `npm run dev` (Next.js dev
 * mode), `npm run demo` (production build plus demo data). The fast
 * installation path and Next.js share one HTTP server and one port.
 */
import "./support/require-supported-node";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { errorResponse, json } from "@ticketzero/core/http/api";
import { resolveClientIp, withClientIp } from "@ticketzero/core/http/client-ip";
import { handleFast, send } from "@ticketzero/core/http/fast-server";
import { assertProductionReady, bootstrapDatabase } from "@ticketzero/core/server/bootstrap";
import { config } from "@ticketzero/core/server/config";
import { securityHeaders } from "@ticketzero/core/server/security-headers";
import next from "next";

const args = new Set(process.argv.slice(2));
const dev = args.has("--dev");
const demo = args.has("--demo");
// `npm start` is production. Development (dev outbox, generated secrets, test-mode checkout)
// only under `npm run dev`, `npm run demo`, or an explicit APP_ENV=development.
process.env.APP_ENV ||= dev || demo ? "development" : "production";
(process.env as Record<string, string>).NODE_ENV = dev ? "development" : "production";
const port = Number(process.env.PORT || 3000);
process.env.PUBLIC_URL ||= `http://localhost:${port}`;
process.env.AUTH_TRUST_HOST ||= "true";
if (!process.env.AUTH_SECRET) {
  if (config().isProduction) throw new Error("APP_ENV=production needs AUTH_SECRET");
  // Development only: sessions last as long as this process.
  process.env.AUTH_SECRET = randomBytes(32).toString("base64url");
}
assertProductionReady();

const database = await bootstrapDatabase();
if (demo) {
  const { seedDemo } = await import("@ticketzero/core/license/demo");
  await seedDemo();
}

// `--api-only` serves just the installation API (no Next.js build needed): tests, simulations.
const apiOnly = args.has("--api-only");
let nextHandler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
if (apiOnly) {
  nextHandler = async (_req, res) => send(res, json(404, { error: { code: "NOT_FOUND", message: "Not found." } }));
} else {
  const app = next({ dev, dir: process.cwd(), port, hostname: "localhost" });
  await app.prepare();
  nextHandler = app.getRequestHandler();
}

const server = createServer((req, res) => {
  for (const [name, value] of Object.entries(securityHeaders())) res.setHeader(name, value);
  // The client address, resolved once from the socket (or trusted proxies) for everything this request runs.
  void withClientIp(resolveClientIp(req), () => serve(req, res));
});

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (await handleFast(req, res)) return;
    await nextHandler(req, res);
  } catch (error) {
    if (!res.headersSent) send(res, errorResponse(error));
    else res.destroy();
  }
}
server.keepAliveTimeout = 65_000;
server.listen(port, () => {
  console.info(
    `TicketZero License Portal on http://localhost:${port} (Node.js ${process.version}, ${apiOnly ? "installation API only" : dev ? "dev" : "production build"}, ${database.embedded ? `embedded database in ${config().dataDir}` : "PostgreSQL"}, APP_ENV=${config().appEnv})`,
  );
});

// Expiry, trial and usage reminder mails; each goes out once, however many app processes run this.
const reminderMinutes = config().remindersIntervalMinutes;
const stopReminders =
  !apiOnly && reminderMinutes > 0
    ? (await import("@ticketzero/core/license/reminders")).startReminderTimer(reminderMinutes)
    : () => {};

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    stopReminders();
    server.close();
    server.closeAllConnections();
    void database.stop().finally(() => process.exit(0));
  });
}
