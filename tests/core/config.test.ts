/**
 * One validated configuration. `npm start` means production: it refuses to
 * start without its secrets, Stripe, SMTP and PUBLIC_URL and names each
 * missing one; development is only ever chosen explicitly. Keys never sit in
 * the database in clear, outbox rows included.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { getSql } from "@ticketzero/core/db/client";
import { startTrial } from "@ticketzero/core/license/trial";
import { PRODUCTION_REQUIRED, readConfig } from "@ticketzero/core/server/config";
import { describe, expect, it } from "vitest";
import { testEmail } from "../support/http";

const root = path.resolve(import.meta.dirname, "../..");

describe("configuration", () => {
  it("is production unless told otherwise, and production names every missing setting", () => {
    expect(() => readConfig({})).toThrow(/APP_ENV=production/);
    try {
      readConfig({});
    } catch (error) {
      for (const name of PRODUCTION_REQUIRED)
        expect((error as Error).message).toContain(`${name} is required in production`);
    }
    expect(readConfig({ APP_ENV: "development" }).isProduction).toBe(false);
  });

  it("refuses malformed values with the variable's name", () => {
    expect(() => readConfig({ APP_ENV: "development", MAX_BODY_BYTES: "lots" })).toThrow(/MAX_BODY_BYTES/);
    expect(() => readConfig({ APP_ENV: "development", TRUST_PROXY: "99" })).toThrow(/TRUST_PROXY/);
    expect(() => readConfig({ APP_ENV: "staging" })).toThrow(/APP_ENV/);
    expect(() => readConfig({ APP_ENV: "development", PUBLIC_URL: "not a url" })).toThrow(/PUBLIC_URL/);
    expect(readConfig({ APP_ENV: "development", TRUST_PROXY: "true" }).trustedProxyHops).toBe(1);
  });

  it("npm start without its production settings exits 1 and names them (no stack trace)", () => {
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: "1",
    } as unknown as NodeJS.ProcessEnv;
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      cwd: root,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    for (const name of PRODUCTION_REQUIRED) expect(run.stderr).toContain(name);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).not.toContain("TicketZero License Portal on");
  });
});

describe("keys at rest", () => {
  it("no table holds a clear key, not even the mail that delivered it", async () => {
    const email = testEmail("at-rest");
    const { key } = await startTrial(email, { actor: "test" });
    const sql = getSql();
    const tables = await sql<{ table_name: string; column_name: string }[]>`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb', 'json')`;
    const hits: string[] = [];
    for (const { table_name, column_name } of tables) {
      const [row] = await sql.unsafe(
        `select count(*)::int as n from "${table_name}" where "${column_name}"::text like $1`,
        [`%${key}%`],
      );
      if (row?.n) hits.push(`${table_name}.${column_name}`);
    }
    expect(hits).toEqual([]);
  });
});
