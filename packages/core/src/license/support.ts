/** The one support contact: every "contact support" in pages, messages and mails uses it (SUPPORT_EMAIL). */
import { config } from "../server/config";

export function supportEmail(): string {
  return config().supportEmail;
}

/** A mailto link to support, with a subject that names what the customer writes about. */
export function supportHref(subject?: string): string {
  const to = `mailto:${supportEmail()}`;
  return subject ? `${to}?subject=${encodeURIComponent(subject)}` : to;
}
