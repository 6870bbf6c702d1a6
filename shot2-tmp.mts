import { chromium } from "@playwright/test";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
const page = await (await browser.newContext({ viewport: { width: 1280, height: 1100 } })).newPage();
await page.goto(`http://localhost:3977/docs/api`);
await page.evaluate(() => document.getElementById("op-activateLicense")!.scrollIntoView({ behavior: "instant" }));
await page.screenshot({ path: "/tmp/api-activate.png" });
await page.evaluate(() => document.getElementById("schema-LicenseStatus")!.scrollIntoView({ behavior: "instant" }));
await page.screenshot({ path: "/tmp/api-schema.png" });
await browser.close();
