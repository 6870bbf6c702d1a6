import type { StatusIndicator } from "@ticketzero/core/license/types";

/**
 * What a form's server action returns to `useActionState`.
 * `null` is the initial state (nothing submitted yet).
 */
export type ActionResult = {
  ok: boolean;
  /** Human-readable outcome, shown in the success/error Alert. */
  message: string;
  /** Machine code, e.g. "ACTIVATION_LIMIT_REACHED", shown under the message. */
  code?: string;
  /** A newly issued license key (StartTrialForm shows it with a Copy button). */
  licenseKey?: string;
  /** A short summary of the new license (StartTrialForm shows its status and limits). */
  license?: {
    status: StatusIndicator;
    planName: string;
    maxTicketsPerMonth: number;
    maxClients: number;
    expiresAt: string;
  };
} | null;

/** The signature both license forms expect from their `action` prop. */
export type FormAction = (prev: ActionResult, formData: FormData) => Promise<ActionResult>;
