import type { ReactNode } from "react";
import { cn } from "./cn";

export type EmptyStateProps = {
  title: ReactNode;
  description?: ReactNode;
  icon?: ReactNode;
  /** A call to action, usually a Button. */
  action?: ReactNode;
  /** Heading level of the title; defaults to h3. */
  level?: 2 | 3 | 4;
  className?: string;
};

export function EmptyState({ title, description, icon, action, level = 3, className }: EmptyStateProps) {
  const H = `h${level}` as "h2" | "h3" | "h4";
  return (
    <div
      className={cn(
        "flex flex-col items-center rounded-xl border border-dashed border-slate-300 bg-slate-50/60 px-6 py-10 text-center",
        className,
      )}
    >
      {icon ? (
        <div className="mb-3 flex size-11 items-center justify-center rounded-full bg-white text-xl text-brand-600 shadow-sm ring-1 ring-slate-200">
          {icon}
        </div>
      ) : null}
      <H className="text-sm font-semibold text-slate-900">{title}</H>
      {description ? <p className="mt-1 max-w-sm text-sm text-slate-600">{description}</p> : null}
      {action ? <div className="mt-5">{action}</div> : null}
    </div>
  );
}
