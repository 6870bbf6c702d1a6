/**
 * The published client as a customer gets it: `npm pack` (which builds it first), then
 * `npm install --offline <tarball>` into a project outside the repository (no registry: the
 * package has no runtime dependencies), used from an ESM script, a CommonJS script, its
 * `tz-license` bin and a NodeNext TypeScript consumer, against a real server process.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { issueLicense, revokeLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, freePort, startAppServer } from "../support/app-server";
import { call, serverEnv, testEmail } from "../support/http";

const root = path.resolve(import.meta.dirname, "../..");
const packageDir = path.join(root, "packages/client");

let work: string;
let project: string;
let jwksFile: string;
let server: AppServer;
let closedUrl: string;

/** The environment of a customer's shell: this Node first on PATH, nothing of the npm run that started the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.toLowerCase().startsWith("npm_") || name.startsWith("TZ_")) delete env[name];
  }
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`;
  return Object.assign(env, extra);
}

function run(command: string, args: string[], cwd: string, env = cleanEnv()): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 120_000 });
}

function ok(result: SpawnSyncReturns<string>): string {
  if (result.status !== 0) {
    throw new Error(`exit ${result.status}: ${result.error?.message ?? ""}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

beforeAll(async () => {
  // `npm pack` builds first (the package's prepack), as a release would.
  work = fs.mkdtempSync(path.join(os.tmpdir(), "tz-client-package-"));
  const packed = JSON.parse(ok(run("npm", ["pack", "--json", "--pack-destination", work], packageDir))) as Array<{
    filename: string;
  }>;
  const tarball = path.join(work, packed[0]!.filename);
  project = path.join(work, "consumer");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  ok(run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], project));

  server = await startAppServer({ env: serverEnv() });
  const published = await call(server.url, "/api/public-key");
  expect(published.status).toBe(200);
  jwksFile = path.join(work, "vendor-jwks.json");
  fs.writeFileSync(jwksFile, JSON.stringify(published.body));
  closedUrl = `http://127.0.0.1:${await freePort()}`;
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The same program in both module systems: activation, status, features, limits, usage; or offline. */
const PROGRAM = `
const [serverUrl, licenseKey, dataDir, jwksFile, phase] = process.argv.slice(2);
const client = createLicenseClient({
  serverUrl, licenseKey, dataDir, jwks: JSON.parse(readFileSync(jwksFile, "utf8")), maxRetries: 0, timeoutMs: 5000,
});
const out = { moduleType: typeof require === "function" ? "commonjs" : "module" };
if (phase === "online") {
  out.activation = (await client.activate()).activation;
  out.validation = await client.validateLicense();
  out.status = (await client.getLicenseStatus()).status;
  out.advancedDashboard = await client.checkFeatureAccess("Advanced Dashboard");
  out.whiteLabel = await client.checkFeatureAccess("White Label Branding");
  out.limits = await client.getUsageLimits();
  out.recorded = await client.recordTickets(3, 2);
  try {
    await client.assertWithinLimits({ clients: out.limits.maxClients + 1 });
  } catch (error) {
    out.limitError = error instanceof LicenseError ? error.code : String(error);
  }
} else {
  out.validation = await client.validateLicense();
  out.advancedDashboard = await client.checkFeatureAccess("Advanced Dashboard");
}
console.log(JSON.stringify(out));
`;

const ESM = `import { readFileSync } from "node:fs";
import { createLicenseClient, LicenseError } from "@ticketzero/license-client";
${PROGRAM}`;

const CJS = `const { readFileSync } = require("node:fs");
const { createLicenseClient, LicenseError } = require("@ticketzero/license-client");
(async () => {
${PROGRAM}
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});`;

async function professionalKey(): Promise<string> {
  return (await issueLicense({ plan: "professional", email: testEmail("client-package") }, { actor: "test" })).key;
}

describe.each([
  ["ESM", "program.mjs", ESM],
  ["CommonJS", "program.cjs", CJS],
])("the installed package from %s", (_label, file, source) => {
  it("activates, gates features, reports usage, and answers offline from its cache", async () => {
    fs.writeFileSync(path.join(project, file), source);
    const key = await professionalKey();
    const dataDir = path.join(work, `data-${file}`);
    const runProgram = (url: string, phase: string) =>
      JSON.parse(ok(run(process.execPath, [file, url, key, dataDir, jwksFile, phase], project)));

    const online = runProgram(server.url, "online");
    expect(online.moduleType).toBe(file.endsWith(".cjs") ? "commonjs" : "module");
    expect(online.activation).toMatchObject({ instanceId: expect.stringMatching(/^tz-/) });
    expect(online.validation).toMatchObject({ valid: true, code: "VALID" });
    expect(online.status).toBe("valid");
    expect(online.advancedDashboard).toBe(true);
    expect(online.whiteLabel).toBe(false);
    expect(online.limits).toEqual({ maxClients: 15, maxTicketsPerMonth: 5000, maxActivations: 5 });
    expect(online.recorded).toMatchObject({ usage: { ticketsThisMonth: 3 }, remaining: 4997 });
    expect(online.limitError).toBe("CLIENT_LIMIT_EXCEEDED");

    const offline = runProgram(closedUrl, "offline");
    expect(offline.validation).toMatchObject({ valid: true, code: "OFFLINE_VALID" });
    expect(offline.advancedDashboard).toBe(true);
  });
});

describe("the tz-license bin", () => {
  const bin = (args: string[], extra: Record<string, string> = {}) =>
    run("npx", ["--no", "tz-license", ...args], project, cleanEnv(extra));

  it("exits 0 for a valid license, 1 for a revoked key, 2 for a missing key, 3 for no server and no cache", async () => {
    const key = await professionalKey();
    const common = ["--jwks", jwksFile];
    const valid = bin([
      "status",
      "--json",
      "--server",
      server.url,
      "--key",
      key,
      "--data-dir",
      path.join(work, "bin-ok"),
      ...common,
    ]);
    expect(valid.status, valid.stderr).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ valid: true, code: "VALID", status: "valid" });
    const validate = bin(["validate", "--data-dir", path.join(work, "bin-ok"), ...common], {
      TZ_SERVER_URL: server.url,
      TZ_LICENSE_KEY: key,
    });
    expect(validate.status, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/^VALID \(VALID\)/);

    const revokedKey = await professionalKey();
    await revokeLicense(revokedKey, { actor: "test" }, "client package test");
    const revoked = bin([
      "validate",
      "--server",
      server.url,
      "--key",
      revokedKey,
      "--data-dir",
      path.join(work, "bin-revoked"),
      ...common,
    ]);
    expect(revoked.status, revoked.stdout + revoked.stderr).toBe(1);
    expect(revoked.stdout).toMatch(/INVALID \(LICENSE_REVOKED\)/);

    const missingKey = bin(["validate", "--server", server.url, "--data-dir", path.join(work, "bin-nokey"), ...common]);
    expect(missingKey.status).toBe(2);
    expect(missingKey.stderr).toMatch(/A license key is required/);
    expect(bin(["no-such-command", "--key", key, ...common]).status).toBe(2);
    expect(bin(["status", "--no-such-option"]).status).toBe(2);

    const unreachable = bin([
      "status",
      "--json",
      "--server",
      closedUrl,
      "--key",
      key,
      "--data-dir",
      path.join(work, "bin-empty"),
      ...common,
    ]);
    expect(unreachable.status, unreachable.stderr).toBe(3);
    expect(JSON.parse(unreachable.stdout)).toMatchObject({ valid: false, code: "NO_CACHE", offline: true });
  });

  it("writes an air-gapped activation request with no server", () => {
    const out = path.join(work, "request.json");
    const result = bin([
      "offline-request",
      "--out",
      out,
      "--key",
      "TZ-PRO-AAAA-BBBB-CCCC-DDDD",
      "--data-dir",
      path.join(work, "bin-airgap"),
      "--jwks",
      jwksFile,
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, "utf8"))).toMatchObject({ type: "ticketzero-activation-request", v: 1 });
    expect(bin(["offline-import", path.join(work, "missing.json"), "--key", "TZ-PRO-AAAA-BBBB-CCCC-DDDD"]).status).toBe(
      2,
    );
    const deactivate = bin([
      "offline-deactivate",
      "--key",
      "TZ-PRO-AAAA-BBBB-CCCC-DDDD",
      "--data-dir",
      path.join(work, "bin-airgap"),
      "--jwks",
      jwksFile,
    ]);
    expect(deactivate.status).toBe(1);
    expect(deactivate.stderr).toMatch(/NO_LICENSE_FILE/);
  });
});

describe("the package's types", () => {
  it("resolve for a NodeNext TypeScript consumer, ESM and CommonJS", () => {
    fs.writeFileSync(
      path.join(project, "consumer.mts"),
      `import { createLicenseClient, LicenseError, type LicenseClient, type ClientLicenseStatus } from "@ticketzero/license-client";
const client: LicenseClient = createLicenseClient({ licenseKey: "TZ-PRO-AAAA-BBBB-CCCC-DDDD", dataDir: "/tmp/x" });
const status: Promise<ClientLicenseStatus> = client.getLicenseStatus();
const granted: Promise<boolean> = client.checkFeatureAccess("Advanced Dashboard");
export const checks = [status, granted, new LicenseError("CODE", "message").code satisfies string];
`,
    );
    fs.writeFileSync(
      path.join(project, "consumer.cts"),
      `import { createLicenseClient, type OfflineDeactivation } from "@ticketzero/license-client";
const client = createLicenseClient({ serverUrl: "https://licenses.example", licenseKey: "TZ-PRO-AAAA-BBBB-CCCC-DDDD", dataDir: "/tmp/x" });
export const code: Promise<OfflineDeactivation> = client.deactivateOffline();
`,
    );
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [path.join(root, "node_modules/@types")],
        },
        files: ["consumer.mts", "consumer.cts"],
      }),
    );
    const result = run(
      process.execPath,
      [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
      project,
    );
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });
});
