import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_FEATURES_FILE, renderFeaturesFile } from "../../scripts/generate-client-features";

describe("packages/client/src/features.generated.ts", () => {
  it("matches the core's catalog (run `npm run client:features` when this fails)", () => {
    expect(fs.readFileSync(GENERATED_FEATURES_FILE, "utf8")).toBe(renderFeaturesFile());
  });

  it("would notice a changed catalog", () => {
    expect(renderFeaturesFile({ new_feature: "New Feature" })).not.toBe(renderFeaturesFile());
  });
});
