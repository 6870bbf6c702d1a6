import { cn } from "@/components/ui/cn";
import type { Method } from "./schema";

// Dark text on light tints: AA contrast at the badge's small size.
const TONES: Record<Method, string> = {
  get: "bg-sky-50 text-sky-800 ring-sky-200",
  post: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  put: "bg-amber-50 text-amber-900 ring-amber-200",
  patch: "bg-violet-50 text-violet-800 ring-violet-200",
  delete: "bg-red-50 text-red-800 ring-red-200",
};

export function MethodBadge({ method, className }: { method: Method; className?: string }) {
  return (
    <span
      className={cn(
        "inline-flex w-14 shrink-0 justify-center rounded-md px-1.5 py-0.5 font-mono text-xs font-bold uppercase ring-1 ring-inset",
        TONES[method],
        className,
      )}
    >
      {method}
    </span>
  );
}
