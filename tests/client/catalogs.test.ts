import fs from "node:fs";
import { describe, expect, it } from "vitest";
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
