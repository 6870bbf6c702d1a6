/**
 * Outgoing mail: SMTP through nodemailer when SMTP_URL is set; otherwise the
 * dev outbox (a table shown at /dev/outbox outside production). The log only
 * ever says that a mail went out, never what it said: it may hold a key.
 */
import { asc, desc, eq } from "drizzle-orm";
import nodemailer, { type Transporter } from "nodemailer";
import { getDb } from "../db/client";
import { mailOutbox } from "../db/schema";
import { decryptKey, encryptKey } from "../license/vault";
import { config } from "./config";

export type Mail = { to: string; subject: string; text: string; html?: string };

let mailer: Transporter | null | undefined;

function transporter(): Transporter | null {
  if (mailer === undefined) {
    const url = config().smtpUrl;
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
    await smtp.sendMail({ from: config().mailFrom, ...mail });
    return;
  }
  // Mails carry keys and sign-in links: sealed at rest like the keys themselves (AES-256-GCM).
  await getDb()
    .insert(mailOutbox)
    .values({
      to: mail.to,
      subject: mail.subject,
      text: encryptKey(mail.text),
      html: mail.html ? encryptKey(mail.html) : null,
    });
  console.info(`[mail] to ${mail.to}: "${mail.subject}" (dev outbox: ${config().publicUrl}/dev/outbox)`);
}

export type OutboxMail = Mail & { id: number; at: Date };

/** The dev outbox, newest first, opened for display; `to` filters by recipient. */
export async function readOutbox(
  options: { to?: string; limit?: number; order?: "newest" | "oldest" } = {},
): Promise<OutboxMail[]> {
  const base = getDb().select().from(mailOutbox);
  const filtered = options.to ? base.where(eq(mailOutbox.to, options.to)) : base;
  const rows = await filtered
    .orderBy(options.order === "oldest" ? asc(mailOutbox.id) : desc(mailOutbox.id))
    .limit(options.limit ?? 100);
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    to: row.to,
    subject: row.subject,
    text: decryptKey(row.text),
    ...(row.html ? { html: decryptKey(row.html) } : {}),
  }));
}

export function isOutboxEnabled(): boolean {
  return !config().isProduction && !config().smtpUrl;
}
