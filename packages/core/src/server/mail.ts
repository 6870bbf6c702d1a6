/**
 * Outgoing mail: SMTP through nodemailer when SMTP_URL is set; otherwise the
 * dev outbox (a table shown at /dev/outbox outside production). The log only
 * ever says that a mail went out, never what it said: it may hold a key.
 */
import nodemailer, { type Transporter } from "nodemailer";
import { getDb } from "../db/client";
import { mailOutbox } from "../db/schema";
import { config } from "./config";

export type Mail = { to: string; subject: string; text: string; html?: string };

let mailer: Transporter | null | undefined;

function transporter(): Transporter | null {
  if (mailer === undefined) {
    const url = process.env.SMTP_URL;
    if (!url && config().isProduction) throw new Error("APP_ENV=production needs SMTP_URL to send mail");
    mailer = url ? nodemailer.createTransport(url) : null;
  }
  return mailer;
}

/** For tests that change SMTP_URL. */
export function resetMailer(): void {
  mailer = undefined;
}

export async function sendMail(mail: Mail): Promise<void> {
  const smtp = transporter();
  if (smtp) {
    await smtp.sendMail({ from: process.env.MAIL_FROM || "TicketZero <licenses@ticketzero.local>", ...mail });
    return;
  }
  await getDb().insert(mailOutbox).values(mail);
  console.info(`[mail] to ${mail.to}: "${mail.subject}" (dev outbox: ${config().publicUrl}/dev/outbox)`);
}

export function isOutboxEnabled(): boolean {
  return !config().isProduction && !process.env.SMTP_URL;
}
