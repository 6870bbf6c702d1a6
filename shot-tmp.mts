import { chromium } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
const base = process.argv[2];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
for (const [name, width, height] of [["desktop", 1280, 900], ["phone", 390, 844]] as const) {
  const context = await browser.newContext({ viewport: { width, height } }); const page = await context.newPage();
  await page.goto(`${base}/docs/api`);
  await page.screenshot({ path: `/tmp/api-${name}.png`, fullPage: false });
  await page.locator("#op-getLicenseStatus").scrollIntoViewIfNeeded();
  await page.evaluate(() => document.getElementById("op-getLicenseStatus")!.scrollIntoView({ behavior: "instant" }));
  await page.screenshot({ path: `/tmp/api-${name}-op.png` });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  console.log(name, "overflow", overflow, "violations", axe.violations.map((v) => `${v.id}(${v.impact}): ${v.nodes.length} ${v.nodes[0]?.target}`));
}
await browser.close();
