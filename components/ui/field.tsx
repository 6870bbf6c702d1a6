import type { InputHTMLAttributes, LabelHTMLAttributes, ReactNode } from "react";
import { cn } from "./cn";
import { ErrorIcon } from "./icons";

export function Label({ className, children, ...rest }: LabelHTMLAttributes<HTMLLabelElement>) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: htmlFor is passed by the caller
    <label className={cn("block text-sm font-medium text-slate-800", className)} {...rest}>
      {children}
    </label>
  );
}

export type InputProps = InputHTMLAttributes<HTMLInputElement> & { invalid?: boolean };

export function Input({ className, invalid, ...rest }: InputProps) {
  return (
    <input
      aria-invalid={invalid || undefined}
      className={cn(
        "block h-11 w-full rounded-lg bg-white px-3.5 text-base text-slate-900 shadow-sm ring-1 ring-inset placeholder:text-slate-400 sm:h-10 sm:text-sm",
        "focus-visible:outline-2 focus-visible:outline-offset-0 focus-visible:ring-transparent",
        "disabled:cursor-not-allowed disabled:bg-slate-50 disabled:text-slate-500",
        invalid ? "ring-red-400 focus-visible:outline-red-600" : "ring-slate-300 focus-visible:outline-brand-600",
        className,
      )}
      {...rest}
    />
  );
}

export type FieldProps = Omit<InputProps, "id" | "name" | "invalid" | "aria-describedby"> & {
  /** The visible label, which is also the input's accessible name. */
  label: ReactNode;
  name: string;
  /** Defaults to `field-<name>`; pass a `useId()` value when the same field can appear twice on a page. */
  id?: string;
  /** Help text under the input, linked by aria-describedby. */
  hint?: ReactNode;
  /** Error text under the input, linked by aria-describedby; also sets aria-invalid. */
  error?: ReactNode;
  /** Marks the input invalid without an inline error text (e.g. when an Alert elsewhere explains it). */
  invalid?: boolean;
  /** Extra ids for aria-describedby (e.g. an Alert's id). */
  describedBy?: string;
  /** Shows "(optional)" after the label. */
  optional?: boolean;
  className?: string;
  inputClassName?: string;
};

/** Label + input + hint + error, wired together with htmlFor / aria-describedby / aria-invalid. */
export function Field({
  label,
  name,
  id,
  hint,
  error,
  optional,
  invalid,
  describedBy: extraDescribedBy,
  className,
  inputClassName,
  ...inputProps
}: FieldProps) {
  const inputId = id ?? `field-${name}`;
  const hintId = hint ? `${inputId}-hint` : undefined;
  const errorId = error ? `${inputId}-error` : undefined;
  const describedBy = [hintId, errorId, extraDescribedBy].filter(Boolean).join(" ") || undefined;
  return (
    <div className={cn("space-y-1.5", className)}>
      <Label htmlFor={inputId}>
        {label}
        {optional ? <span className="ml-1 font-normal text-slate-500">(optional)</span> : null}
      </Label>
      <Input
        id={inputId}
        name={name}
        invalid={Boolean(error) || invalid}
        aria-describedby={describedBy}
        className={inputClassName}
        {...inputProps}
      />
      {hint ? (
        <p id={hintId} className="text-xs text-slate-600">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="flex items-center gap-1 text-xs font-medium text-red-700">
          <ErrorIcon className="size-3.5 shrink-0" />
          {error}
        </p>
      ) : null}
    </div>
  );
}
