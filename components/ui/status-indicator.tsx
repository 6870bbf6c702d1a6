import type { StatusIndicator as Status } from "@ticketzero/core/license/types";
import { cn } from "./cn";

const STATUS: Record<Status, { label: string; dot: string; pill: string }> = {
  valid: { label: "Valid", dot: "bg-emerald-500", pill: "bg-emerald-50 text-emerald-800 ring-emerald-200" },
  expiring_soon: { label: "Expiring soon", dot: "bg-amber-500", pill: "bg-amber-50 text-amber-900 ring-amber-300" },
  trial: { label: "Trial", dot: "bg-sky-500", pill: "bg-sky-50 text-sky-800 ring-sky-200" },
  expired: { label: "Expired", dot: "bg-red-500", pill: "bg-red-50 text-red-800 ring-red-200" },
  invalid: { label: "Invalid", dot: "bg-red-500", pill: "bg-red-50 text-red-800 ring-red-200" },
};

export function statusLabel(status: Status): string {
  return STATUS[status].label;
}

export type StatusIndicatorProps = {
  /** The `status` of a LicenseStatusBody. */
  status: Status;
  /** Override the words (e.g. "Suspended" for an invalid license); the colour still follows `status`. */
  label?: string;
  variant?: "pill" | "plain";
  size?: "sm" | "md";
  className?: string;
};

/** A coloured dot plus words: never colour alone. */
export function StatusIndicator({ status, label, variant = "pill", size = "md", className }: StatusIndicatorProps) {
  const s = STATUS[status];
  return (
    <span
      className={cn(
        "inline-flex items-center gap-2 font-semibold whitespace-nowrap",
        size === "sm" ? "text-xs" : "text-sm",
        variant === "pill" && cn("rounded-full px-3 py-1 ring-1 ring-inset", s.pill),
        variant === "plain" && "text-slate-800",
        className,
      )}
    >
      <span className="relative flex size-2.5" aria-hidden="true">
        {status === "valid" || status === "trial" ? (
          <span className={cn("absolute inline-flex size-full animate-ping rounded-full opacity-40", s.dot)} />
        ) : null}
        <span className={cn("relative inline-flex size-2.5 rounded-full", s.dot)} />
      </span>
      <span>
        <span className="sr-only">License status: </span>
        {label ?? s.label}
      </span>
    </span>
  );
}
