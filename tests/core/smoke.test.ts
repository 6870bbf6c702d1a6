import { activateLicense } from "@ticketzero/core/license/activations";
import { statusByKey } from "@ticketzero/core/license/license-status";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { describe, expect, it } from "vitest";

describe("license core smoke", () => {
  it("issues, activates and reports status", async () => {
    const { key } = await issueLicense(
      { plan: "professional", email: `smoke-${Date.now()}@example.test` },
      { actor: "test" },
    );
    const { created } = await activateLicense({ licenseKey: key, instanceId: "smoke-1" }, { actor: "test" });
    expect(created).toBe(true);
    const status = await statusByKey(key.toLowerCase(), "smoke-1");
    expect(status.status).toBe("valid");
    expect(status.limits?.maxTicketsPerMonth).toBe(5000);
    expect(status.activation?.instanceId).toBe("smoke-1");
    expect(status.certificate).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
