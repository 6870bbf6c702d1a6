import type { Context } from "./audit";
import { generateTrial } from "./licenses";
import { mailLicenseKey } from "./notify";
import { PLANS } from "./plans";

/** Starts the one trial an email may have, and mails its key. */
export async function startTrial(email: string, ctx: Context) {
  const result = await generateTrial(email, ctx);
  await mailLicenseKey(result.license.email, result.key, PLANS.trial.name);
  return result;
}
