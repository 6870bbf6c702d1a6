import { cn } from "./cn";

/** A grey shimmering placeholder block; decorative (wrap loading regions in aria-busy / a status). */
export function Skeleton({ className }: { className?: string }) {
  return <div aria-hidden="true" className={cn("animate-pulse rounded-md bg-slate-200/80", className)} />;
}
