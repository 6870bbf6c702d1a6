/**
 * Forges license files for the Python client's import-rule tests (docs/AIR-GAPPED.md): the
 * command-line face of tests/client/support/offline-portal.ts (the one forger, shared with the
 * TypeScript client's tests), signed with the server's real signing key (`secrets()`, the
 * development secrets.json of DATA_DIR) for a license as the database holds it, with a claim
 * overridden — files the portal itself never issues. The real license file comes from the portal
 * (packages/core/src/license/offline.ts, through the server CLI's `license-file`, conftest.py).
 * No activation slot is taken.
 *
 *   node --import tsx clients/python/tests/support/license-file.ts --request FILE --key KEY
 *        [--iat EPOCH] [--exp EPOCH] [--instance-id ID] [--ipk B64U] [--nonce N] [--typ T] [--omit a,b]
 *
 * Prints the license file JSON; a request that does not verify prints {"error":{code,message}} and exits 1.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { closeDb } from "@ticketzero/core/db/client";
import { factsOf, findByKey } from "@ticketzero/core/license/licenses";
import { classify } from "@ticketzero/core/license/status";
import { issueLicenseFile } from "../../../../tests/client/support/offline-portal";

const { values } = parseArgs({
  options: {
    request: { type: "string" },
    key: { type: "string" },
    iat: { type: "string" },
    exp: { type: "string" },
    "instance-id": { type: "string" },
    ipk: { type: "string" },
    nonce: { type: "string" },
    typ: { type: "string" },
    omit: { type: "string", multiple: true },
  },
});

try {
  const row = await findByKey(values.key);
  const facts = factsOf(row);
  const claims: Record<string, unknown> = {
    ...(values.exp !== undefined ? { exp: Number(values.exp) } : {}),
    ...(values["instance-id"] !== undefined ? { instanceId: values["instance-id"] } : {}),
    ...(values.ipk !== undefined ? { ipk: values.ipk } : {}),
    ...(values.nonce !== undefined ? { nonce: values.nonce } : {}),
  };
  // An omitted claim is an undefined one: JSON leaves it out.
  for (const name of values.omit?.flatMap((v) => v.split(",")) ?? []) claims[name] = undefined;
  const file = issueLicenseFile(
    readFileSync(values.request!, "utf8"),
    {
      id: row.id,
      key: values.key!,
      plan: facts.plan,
      features: row.features,
      limits: {
        maxClients: row.maxClients,
        maxTicketsPerMonth: row.maxTicketsPerMonth,
        maxActivations: row.maxActivations,
      },
      expiresAt: row.expiresAt,
      status: classify(facts, new Date()).status,
    },
    { ...(values.iat !== undefined ? { now: new Date(Number(values.iat) * 1000) } : {}), claims, typ: values.typ },
  );
  console.log(JSON.stringify(JSON.parse(file), null, 2));
} catch (err) {
  console.log(
    JSON.stringify({ error: { code: (err as { code?: string }).code ?? "ERROR", message: (err as Error).message } }),
  );
  process.exitCode = 1;
} finally {
  await closeDb();
}
