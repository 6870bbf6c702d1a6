import { Alert } from "../ui/alert";
import { Card, CardHeader } from "../ui/card";
import { SubmitButton } from "../ui/submit-button";
import { formatDate } from "./format";

export type ClaimableItem = {
  id: string;
  planName: string;
  keyMasked: string;
  expiresAt: string;
  /** Bound server action: puts the license on the user's account. */
  claim: () => Promise<void>;
};

/**
 * Licenses issued to the signed-in address that are on no account yet (a
 * public trial, a key someone bought for them): nothing changes until the
 * address's owner adds them here.
 */
export function ClaimableLicenses({ items, email }: { items: ClaimableItem[]; email: string }) {
  return (
    <Card as="section" aria-labelledby="claimable-heading" emphasis>
      <CardHeader
        id="claimable-heading"
        title="Waiting for you"
        description={`Issued to ${email} and not on any account yet. Add one to manage it here; a paid license stays first.`}
      />
      <ul className="mt-3 divide-y divide-slate-100">
        {items.map((item) => (
          <li key={item.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
            <div className="min-w-0">
              <p className="font-medium text-slate-900">{item.planName}</p>
              <p className="break-all font-mono text-xs text-slate-500">
                {item.keyMasked} · expires {formatDate(item.expiresAt)}
              </p>
            </div>
            <form action={item.claim}>
              <SubmitButton size="sm" aria-label={`Add to my account: ${item.planName} ${item.keyMasked}`}>
                Add to my account
              </SubmitButton>
            </form>
          </li>
        ))}
      </ul>
      <Alert tone="info" announce="none" className="mt-3">
        Didn’t start this yourself? Ignore it: it stays off your account.
      </Alert>
    </Card>
  );
}
