import type { HTMLAttributes, ReactNode } from "react";
import { cn } from "./cn";

export type CardProps = HTMLAttributes<HTMLElement> & {
  /** Render as a `<section>` (with a heading, for landmarks) or an `<article>`; defaults to `<div>`. */
  as?: "div" | "section" | "article" | "aside";
  /** Raised look with brand ring, e.g. the recommended plan. */
  emphasis?: boolean;
  padding?: "none" | "sm" | "md" | "lg";
};

const PADDING = { none: "", sm: "p-4", md: "p-5 sm:p-6", lg: "p-6 sm:p-8" } as const;

export function Card({ as: As = "div", emphasis, padding = "md", className, children, ...rest }: CardProps) {
  return (
    <As
      className={cn(
        "rounded-2xl bg-white",
        emphasis ? "shadow-elevated ring-2 ring-brand-600" : "shadow-card ring-1 ring-slate-200",
        PADDING[padding],
        className,
      )}
      {...rest}
    >
      {children}
    </As>
  );
}

export type CardHeaderProps = {
  title: ReactNode;
  /** Heading level for the title; defaults to h2. */
  level?: 2 | 3 | 4;
  description?: ReactNode;
  /** Right-aligned slot (a badge or a button). */
  action?: ReactNode;
  id?: string;
  className?: string;
};

export function CardHeader({ title, level = 2, description, action, id, className }: CardHeaderProps) {
  const H = `h${level}` as "h2" | "h3" | "h4";
  return (
    <div className={cn("mb-5 flex flex-wrap items-start justify-between gap-3", className)}>
      <div className="min-w-0">
        <H id={id} className="text-base font-semibold text-slate-900">
          {title}
        </H>
        {description ? <p className="mt-1 text-sm text-slate-600">{description}</p> : null}
      </div>
      {action ? <div className="shrink-0">{action}</div> : null}
    </div>
  );
}
