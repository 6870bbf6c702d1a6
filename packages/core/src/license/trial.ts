import type { Context } from "./audit";
import { generateTrial, normaliseEmail } from "./licenses";
import { mailLicenseKey } from "./notify";
import { PLANS } from "./plans";
import { personalTeamOf } from "./teams";

/**
 * Starts the one trial an email may have, and mails its key. A public trial
 * changes no account: it waits, unowned, until the address's owner signs in and
 * claims it. Only a visitor signed in as that very address gets it on their
 * team at once.
 */
export async function startTrial(email: string, ctx: Context, signedIn?: { id: string; email: string } | null) {
  const own = signedIn && normaliseEmail(signedIn.email) === normaliseEmail(email) ? signedIn : null;
  const result = await generateTrial(email, ctx, own ? (tx) => personalTeamOf(tx, own.id) : undefined);
  await mailLicenseKey(result.license.email, result.key, PLANS.trial.name, { claim: !own });
  return { ...result, claimed: Boolean(own) };
}
