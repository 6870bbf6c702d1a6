import { cn } from "./ui/cn";

/** The TicketZero mark: a ticket with a spark, in the brand gradient. Decorative by default. */
export function LogoMark({ className, title }: { className?: string; title?: string }) {
  return (
    // biome-ignore lint/a11y/noSvgWithoutTitle: decorative (aria-hidden) unless a title is given
    <svg
      viewBox="0 0 32 32"
      className={cn("size-8", className)}
      role={title ? "img" : undefined}
      aria-hidden={title ? undefined : true}
      focusable="false"
    >
      {title ? <title>{title}</title> : null}
      <defs>
        <linearGradient id="tz-logo-gradient" x1="0" y1="0" x2="32" y2="32" gradientUnits="userSpaceOnUse">
          <stop offset="0" stopColor="#6366f1" />
          <stop offset="1" stopColor="#7c3aed" />
        </linearGradient>
      </defs>
      <rect width="32" height="32" rx="8" fill="url(#tz-logo-gradient)" />
      <path
        d="M8 10.5A1.5 1.5 0 0 1 9.5 9h13A1.5 1.5 0 0 1 24 10.5v2.25a2.25 2.25 0 0 0 0 4.5v2.25A1.5 1.5 0 0 1 22.5 21h-13A1.5 1.5 0 0 1 8 19.5v-2.25a2.25 2.25 0 0 0 0-4.5V10.5Z"
        fill="white"
        fillOpacity="0.95"
      />
      <path
        d="M12.5 13h7l-7 6h7"
        stroke="#4f46e5"
        strokeWidth="1.9"
        strokeLinecap="round"
        strokeLinejoin="round"
        fill="none"
      />
    </svg>
  );
}

/** Mark plus the "TicketZero" wordmark. */
export function Logo({ className, subtitle = "License Portal" }: { className?: string; subtitle?: string | null }) {
  return (
    <span className={cn("inline-flex items-center gap-2.5", className)}>
      <LogoMark />
      <span className="flex flex-col leading-none">
        <span className="text-[1.05rem] font-bold tracking-tight text-slate-900">
          Ticket<span className="text-brand-600">Zero</span>
        </span>
        {subtitle ? (
          <span className="mt-0.5 text-[0.68rem] font-medium tracking-wide text-slate-500 uppercase">{subtitle}</span>
        ) : null}
      </span>
    </span>
  );
}
