import Link from "next/link";
import type { ButtonHTMLAttributes, ComponentProps, ReactNode } from "react";
import { cn } from "./cn";
import { Spinner } from "./spinner";

export type ButtonVariant = "primary" | "secondary" | "ghost" | "danger";
export type ButtonSize = "sm" | "md" | "lg";

type CommonProps = {
  variant?: ButtonVariant;
  size?: ButtonSize;
  /** Shows a spinner, disables the button and sets aria-busy. The accessible name stays the same. */
  pending?: boolean;
  /** Icon before the label (replaced by the spinner while pending). */
  icon?: ReactNode;
  /** Icon after the label. */
  trailingIcon?: ReactNode;
  fullWidth?: boolean;
  className?: string;
  children: ReactNode;
};

export type ButtonAsButtonProps = CommonProps &
  Omit<ButtonHTMLAttributes<HTMLButtonElement>, keyof CommonProps> & { href?: undefined };
export type ButtonAsLinkProps = CommonProps &
  Omit<ComponentProps<typeof Link>, keyof CommonProps | "href"> & { href: string };
export type ButtonProps = ButtonAsButtonProps | ButtonAsLinkProps;

const BASE =
  "inline-flex shrink-0 items-center justify-center gap-2 whitespace-nowrap rounded-lg font-semibold transition-colors duration-150 select-none focus-visible:outline-2 focus-visible:outline-offset-2 disabled:cursor-not-allowed aria-disabled:cursor-not-allowed";

const VARIANTS: Record<ButtonVariant, string> = {
  primary:
    "bg-brand-600 text-white shadow-sm hover:bg-brand-700 active:bg-brand-800 focus-visible:outline-brand-600 disabled:bg-brand-300 disabled:shadow-none",
  secondary:
    "bg-white text-slate-800 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 hover:ring-slate-400 active:bg-slate-100 focus-visible:outline-brand-600 disabled:text-slate-400 disabled:ring-slate-200",
  ghost:
    "text-slate-700 hover:bg-slate-100 hover:text-slate-900 active:bg-slate-200 focus-visible:outline-brand-600 disabled:text-slate-400 disabled:hover:bg-transparent",
  danger:
    "bg-white text-red-700 shadow-sm ring-1 ring-inset ring-red-300 hover:bg-red-50 hover:ring-red-400 active:bg-red-100 focus-visible:outline-red-600 disabled:text-red-300 disabled:ring-red-100",
};

const SIZES: Record<ButtonSize, string> = {
  sm: "h-8 px-3 text-sm",
  md: "h-10 px-4 text-sm",
  lg: "h-12 px-6 text-base",
};

export function buttonClasses({
  variant = "primary",
  size = "md",
  fullWidth,
  className,
}: {
  variant?: ButtonVariant;
  size?: ButtonSize;
  fullWidth?: boolean;
  className?: string;
}): string {
  return cn(BASE, VARIANTS[variant], SIZES[size], fullWidth && "w-full", className);
}

/**
 * The one button. Renders a `<button>` (default `type="button"`), or a next/link `<a>` when `href` is given.
 */
export function Button(props: ButtonProps) {
  if (props.href !== undefined) {
    const { variant, size, pending: _pending, icon, trailingIcon, fullWidth, className, children, ...rest } = props;
    return (
      <Link className={buttonClasses({ variant, size, fullWidth, className })} {...rest}>
        {icon ? <span className="-ml-0.5 text-[1.1em]">{icon}</span> : null}
        {children}
        {trailingIcon ? <span className="-mr-0.5 text-[1.1em]">{trailingIcon}</span> : null}
      </Link>
    );
  }
  const {
    variant,
    size,
    pending = false,
    icon,
    trailingIcon,
    fullWidth,
    className,
    children,
    type = "button",
    disabled,
    ...rest
  } = props;
  return (
    <button
      type={type}
      className={buttonClasses({ variant, size, fullWidth, className })}
      disabled={disabled || pending}
      aria-busy={pending || undefined}
      {...rest}
    >
      {pending ? (
        <Spinner label={null} size="sm" className="-ml-0.5" />
      ) : icon ? (
        <span className="-ml-0.5 text-[1.1em]">{icon}</span>
      ) : null}
      {children}
      {trailingIcon && !pending ? <span className="-mr-0.5 text-[1.1em]">{trailingIcon}</span> : null}
    </button>
  );
}
