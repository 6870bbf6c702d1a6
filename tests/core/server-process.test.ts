import { issueLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppServer, startAppServer } from "../support/app-server";

describe("the server process", () => {
  let server: AppServer;
  beforeAll(async () => {
    server = await startAppServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers an installation's status request with a signed certificate", async () => {
    const { key } = await issueLicense(
      { plan: "starter", email: `proc-${Date.now()}@example.test` },
      { actor: "test" },
    );
    const response = await fetch(`${server.url}/api/license-status`, { headers: { Authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ valid: true, status: "valid", license: { plan: "starter" } });
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
