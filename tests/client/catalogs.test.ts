import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLIENT_CODES } from "../../packages/client/src/index";
import { CATALOG_FILES } from "../../scripts/generate-client-catalogs";

describe("the clients' generated catalogs (TypeScript and Python)", () => {
  for (const { file, render } of CATALOG_FILES) {
    it(`${file.split("/").slice(-3).join("/")} matches the core's catalog (run \`npm run client:catalogs\` when this fails)`, () => {
      expect(fs.readFileSync(file, "utf8")).toBe(render());
    });
  }

  it("would notice a changed catalog", () => {
    for (const { render } of CATALOG_FILES) {
      expect(render({ features: { new_feature: "New Feature" }, planNames: {} })).not.toBe(render());
    }
  });
});

describe("the clients' shipped vendor keys", () => {
  it("are the repository's empty pins in both clients (a customer build pins the production keys)", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/pin-vendor-keys.ts", "--empty", "--check"], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("vendor_keys.py pins no keys");
  });
});

describe("the clients' own codes", () => {
  it("are the same set in TypeScript (CLIENT_CODES) and Python (errors.py)", () => {
    const python = fs.readFileSync(
      path.resolve(import.meta.dirname, "../../clients/python/ticketzero_license/errors.py"),
      "utf8",
    );
    const body = python.slice(python.indexOf("class _ClientCodes"));
    const pythonCodes = [...body.matchAll(/^ {4}([A-Z_]+) = "([A-Z_]+)"$/gm)].map((m) => {
      expect(m[1]).toBe(m[2]);
      return m[1]!;
    });
    expect(pythonCodes.sort()).toEqual(Object.values(CLIENT_CODES).sort());
  });
});
