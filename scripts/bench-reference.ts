/**
 * The bare-Node reference for `npm run bench`: the least a license server
 * must do per check-in, with nothing else — no framework, no rate limits, no
 * cache, no check-in write. `GET /api/license-status` with a bearer key and
 * X-Instance-Id: the key's HMAC, one indexed read (the license by key hash
 * and this installation's activation, a prepared statement over postgres.js
 * with the app's pool size), an Ed25519-signed JWS, JSON. Same database and
 * same secrets (DATA_DIR / env) as the portal it is measured against.
 *
 * Run by scripts/bench.ts: PORT, DATABASE_URL, DATA_DIR in the environment.
 */
import "./support/require-supported-node";
import { createHmac, createSecretKey, sign } from "node:crypto";
import { createServer } from "node:http";
import { secrets } from "@ticketzero/core/server/secrets";
import postgres from "postgres";

const port = Number(process.env.PORT || 3999);
const sql = postgres(process.env.DATABASE_URL!, { max: Number(process.env.DB_POOL_SIZE || 10), prepare: true });
const { hmacSecret, signingKeys } = secrets();
const hmacKey = createSecretKey(hmacSecret); // prepared once, as the portal does
const { kid, privateKey } = signingKeys[0]!;
const header = Buffer.from(JSON.stringify({ alg: "EdDSA", typ: "JWT", kid })).toString("base64url");

type Row = {
  id: string;
  plan: string;
  state: string;
  expires_at: Date;
  max_clients: number;
  max_tickets_per_month: number;
  max_activations: number;
  features: string[];
  activated: boolean;
};

const server = createServer(async (req, res) => {
  try {
    const auth = req.headers.authorization ?? "";
    const key = auth.startsWith("Bearer ") ? auth.slice(7).trim().toUpperCase() : "";
    const instanceId = String(req.headers["x-instance-id"] ?? "");
    if (req.url !== "/api/license-status" || !key) {
      res.writeHead(404).end();
      return;
    }
    const keyHash = createHmac("sha256", hmacKey).update(key).digest("hex");
    const [row] = await sql<Row[]>`
      select l.id, l.plan, l.state, l.expires_at, l.max_clients, l.max_tickets_per_month, l.max_activations,
             l.features, (a.id is not null and a.deactivated_at is null) as activated
        from licenses l left join activations a on a.license_id = l.id and a.instance_id = ${instanceId}
       where l.key_hash = ${keyHash}`;
    if (!row) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"code":"LICENSE_NOT_FOUND"}}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const valid = row.state === "active" && row.expires_at.getTime() > Date.now();
    const limits = {
      maxClients: row.max_clients,
      maxTicketsPerMonth: row.max_tickets_per_month,
      maxActivations: row.max_activations,
    };
    let certificate: string | undefined;
    if (valid && row.activated) {
      const claims = {
        iss: "ticketzero-license-portal",
        sub: row.id,
        plan: row.plan,
        features: row.features,
        limits,
        instanceId,
        status: "valid",
        iat: now,
        exp: now + 7 * 86_400,
      };
      const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
      certificate = `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
    }
    const body = JSON.stringify({
      valid,
      status: valid ? "valid" : "invalid",
      license: { plan: row.plan, expiresAt: row.expires_at.toISOString() },
      limits,
      features: row.features,
      certificate,
    });
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(body);
  } catch {
    if (!res.headersSent) res.writeHead(503).end();
  }
});
server.keepAliveTimeout = 65_000;
server.listen(port, () => console.info(`bench reference on http://localhost:${port}`));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    void sql.end({ timeout: 1 }).finally(() => process.exit(0));
  });
}
