import { config } from "../server/config";
import { sendMail } from "../server/mail";

/**
 * The key goes to its owner by mail, and nowhere else but the page that
 * created it. `claim`: the license is on no account yet, so the mail says how
 * to add it to theirs.
 */
export async function mailLicenseKey(
  email: string,
  key: string,
  planName: string,
  options: { claim?: boolean } = {},
): Promise<void> {
  const url = config().publicUrl;
  const signIn = `${url}/signin?email=${encodeURIComponent(email)}&callbackUrl=%2Fadmin%2Flicense`;
  await sendMail({
    to: email,
    subject: `Your TicketZero ${planName} license key`,
    text: [
      `Your TicketZero ${planName} license key:`,
      "",
      `    ${key}`,
      "",
      "To install it: on your TicketZero AI server, set this key as TZ_LICENSE_KEY (or enter it",
      "in TicketZero AI's setup) and start the service; it activates itself on first start.",
      "",
      options.claim
        ? `To manage it, sign in with this email address (${signIn}) and choose “Add to my account” in Admin Panel → License & Billing.`
        : `Manage it in the Admin Panel → License & Billing: sign in with this email address (${signIn}).`,
    ].join("\n"),
  });
}
