import { cn } from "./cn";

export type SpinnerProps = {
  /** Accessible label; pass `null` when the spinner is decorative (e.g. inside a labelled button). */
  label?: string | null;
  size?: "sm" | "md" | "lg";
  className?: string;
};

const SIZES = { sm: "size-4", md: "size-5", lg: "size-8" } as const;

export function Spinner({ label = "Loading", size = "md", className }: SpinnerProps) {
  const svg = (
    <svg
      className={cn("animate-spin", SIZES[size], className)}
      viewBox="0 0 24 24"
      fill="none"
      aria-hidden="true"
      focusable="false"
    >
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.25" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
  if (label === null) return svg;
  return (
    <span role="status" className="inline-flex items-center">
      {svg}
      <span className="sr-only">{label}</span>
    </span>
  );
}
