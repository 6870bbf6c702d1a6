import { config } from "../server/config";
import { sendMail } from "../server/mail";

/** The key goes to its owner by mail, and nowhere else but the page that created it. */
export async function mailLicenseKey(email: string, key: string, planName: string): Promise<void> {
  const url = config().publicUrl;
  await sendMail({
    to: email,
    subject: `Your TicketZero ${planName} license key`,
    text: [
      `Your TicketZero ${planName} license key:`,
      "",
      `    ${key}`,
      "",
      `Activate it in the Admin Panel → License & Billing (${url}/admin/license),`,
      "or set it in your TicketZero AI installation. Sign in with this email address to manage it.",
    ].join("\n"),
  });
}
