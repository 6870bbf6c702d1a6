import type { ReactNode } from "react";
import { cn } from "./cn";
import { CheckCircleIcon, ErrorIcon, InfoIcon, WarningIcon } from "./icons";

export type AlertTone = "info" | "success" | "warning" | "error";

const TONES: Record<AlertTone, { box: string; icon: string; Icon: typeof InfoIcon }> = {
  info: { box: "bg-sky-50 text-sky-900 ring-sky-200", icon: "text-sky-600", Icon: InfoIcon },
  success: { box: "bg-emerald-50 text-emerald-900 ring-emerald-200", icon: "text-emerald-600", Icon: CheckCircleIcon },
  warning: { box: "bg-amber-50 text-amber-950 ring-amber-300", icon: "text-amber-600", Icon: WarningIcon },
  error: { box: "bg-red-50 text-red-900 ring-red-200", icon: "text-red-600", Icon: ErrorIcon },
};

export type AlertProps = {
  tone?: AlertTone;
  title?: ReactNode;
  children?: ReactNode;
  /** Trailing slot, e.g. a button. */
  action?: ReactNode;
  /**
   * ARIA role to use. Defaults to "alert" for errors (assertive) and "status" for the rest (polite).
   * "none" for static notices, or when the Alert sits inside a live region you control.
   */
  announce?: "alert" | "status" | "none";
  className?: string;
};

export function Alert({ tone = "info", title, children, action, announce, className }: AlertProps) {
  const t = TONES[tone];
  const resolved = announce ?? (tone === "error" ? "alert" : "status");
  return (
    <div
      role={resolved === "none" ? undefined : resolved}
      className={cn("animate-fade-in flex gap-3 rounded-xl p-4 text-sm ring-1 ring-inset", t.box, className)}
    >
      <t.Icon className={cn("mt-0.5 size-5 shrink-0", t.icon)} />
      <div className="min-w-0 flex-1">
        {title ? <p className="font-semibold">{title}</p> : null}
        {children ? <div className={cn(title ? "mt-1" : "", "leading-relaxed")}>{children}</div> : null}
      </div>
      {action ? <div className="shrink-0 self-center">{action}</div> : null}
    </div>
  );
}
