import { chromium } from "@playwright/test";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
await page.goto(`http://localhost:3977/docs/api`);
console.log(await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 392).slice(0, 8).map((e) => `${e.tagName}.${(e.className as string).toString().slice(0, 60)} r=${Math.round(e.getBoundingClientRect().right)} ${e.textContent?.slice(0, 40)}`)));
await browser.close();
