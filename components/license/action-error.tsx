import { Alert } from "../ui/alert";

/** A form's refusal: what happened, and the stable code under it (support and tests read it). */
export function ActionError({
  id,
  title,
  message,
  code,
}: {
  id: string;
  title: string;
  message: string;
  code?: string;
}) {
  return (
    <div id={id}>
      <Alert tone="error" title={title}>
        <p>{message}</p>
        {code ? (
          <p className="mt-1 text-xs">
            Error code: <code className="font-semibold">{code}</code>
          </p>
        ) : null}
      </Alert>
    </div>
  );
}
