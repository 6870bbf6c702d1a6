import { WarningIcon } from "@/components/ui/icons";

/** The unmistakable marker of a checkout that charges nothing. */
export function TestModeBanner({ children }: { children?: React.ReactNode }) {
  return (
    <div
      role="note"
      aria-label="Test mode"
      className="flex items-start gap-3 rounded-xl border-2 border-dashed border-amber-400 bg-amber-50 p-4 text-sm text-amber-950"
    >
      <WarningIcon className="mt-0.5 size-5 shrink-0 text-amber-600" />
      <div>
        <p className="font-semibold">
          <span className="mr-2 inline-flex items-center rounded-full bg-amber-800 px-2 py-0.5 text-xs font-bold tracking-wide text-white uppercase">
            Test mode
          </span>
          No card is charged.
        </p>
        <p className="mt-1">
          {children ??
            "Stripe is not configured on this server, so checkout runs in test mode. The license it issues is real and works like a paid one."}
        </p>
      </div>
    </div>
  );
}
