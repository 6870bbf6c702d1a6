import { buttonClasses } from "@/components/ui/button";

/**
 * A CSV download of the list as filtered. A plain link, not next/link: the
 * route handler answers with an attachment, never a page to prefetch.
 */
export function ExportLink({
  kind,
  params,
  label,
}: {
  kind: "licenses" | "customers" | "payments" | "audit";
  params?: Record<string, string>;
  label: string;
}) {
  const query = new URLSearchParams(Object.entries(params ?? {}).filter(([, v]) => v)).toString();
  return (
    <a
      href={`/staff/export/${kind}${query ? `?${query}` : ""}`}
      download
      className={buttonClasses({ variant: "secondary" })}
    >
      <span aria-hidden="true" className="-ml-0.5 text-[1.1em]">
        ↓
      </span>
      {label}
    </a>
  );
}
