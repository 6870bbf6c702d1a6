import { Alert } from "@/components/ui/alert";

/** What a back-office server action returns to `useActionState`; `null` before the first submit. */
export type StaffActionResult = {
  ok: boolean;
  message: string;
  /** Stable code, shown under the message (`VALIDATION_FAILED`, `CONFLICT`, `LIMITS_SAVED`…). */
  code?: string;
  /** Per-field messages for a form. */
  fields?: Record<string, string>;
  /** Things that worked but deserve a look (e.g. activations above the new limit). */
  warnings?: string[];
  /** A newly issued key: shown once. */
  licenseKey?: string;
  licenseId?: string;
  /** A newly created secret (a staff API token, a webhook signing secret): shown once. */
  secret?: string;
  endpointId?: string;
  /** What the form sent, so a refused form keeps its inputs (React resets forms after an action). */
  values?: Record<string, string>;
} | null;

/** The outcome of a back-office action as an Alert (success, or the error with its stable code). */
export function ActionAlert({ result, className }: { result: StaffActionResult; className?: string }) {
  if (!result) return null;
  return (
    <div className={className}>
      <Alert tone={result.ok ? "success" : "error"} title={result.message}>
        {result.code ? (
          <span className="text-xs opacity-80">
            Code: <code className="font-mono">{result.code}</code>
          </span>
        ) : null}
      </Alert>
      {result.warnings?.map((w) => (
        <Alert key={w} tone="warning" className="mt-3">
          {w}
        </Alert>
      ))}
    </div>
  );
}
