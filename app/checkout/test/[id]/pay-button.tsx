"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { LockIcon } from "@/components/ui/icons";
import { SubmitButton } from "@/components/ui/submit-button";
import { payTestCheckout, type TestPayState } from "../../actions";

export function TestPayButton({ sessionId, price }: { sessionId: string; price: string }) {
  const [state, action] = useActionState<TestPayState, FormData>(payTestCheckout, null);
  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="sessionId" value={sessionId} />
      {state ? (
        <Alert tone="error" title="Payment not completed">
          {state.message}
        </Alert>
      ) : null}
      <SubmitButton size="lg" fullWidth icon={<LockIcon />}>
        {`Pay ${price} (test mode)`}
      </SubmitButton>
    </form>
  );
}
