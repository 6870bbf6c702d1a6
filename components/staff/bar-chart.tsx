import { cn } from "@/components/ui/cn";

export { formatCompact, MonthBarChart } from "@/components/ui/month-bar-chart";

export type BarListItem = { key: string; label: string; value: number; fill: string; hint?: string };

/** Horizontal bars (e.g. active licenses by plan): SVG bars with visible labels; a hidden table for screen readers. */
export function BarList({
  title,
  items,
  format,
  className,
}: {
  title: string;
  items: BarListItem[];
  format: (value: number) => string;
  className?: string;
}) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <figure className={cn("m-0", className)}>
      <ul className="space-y-4" aria-hidden="true">
        {items.map((item) => (
          <li key={item.key}>
            <div className="flex items-baseline justify-between gap-3 text-sm">
              <span className="font-medium text-slate-800">{item.label}</span>
              <span className="tabular text-slate-600">
                <span className="font-semibold text-slate-900">{format(item.value)}</span>
                {item.hint ? <span className="ml-1.5 text-xs text-slate-500">{item.hint}</span> : null}
              </span>
            </div>
            <svg
              viewBox="0 0 100 10"
              preserveAspectRatio="none"
              className="mt-1.5 block h-2.5 w-full"
              focusable="false"
              aria-hidden="true"
            >
              <title>{item.label}</title>
              <rect x={0} y={0} width={100} height={10} rx={5} className="fill-slate-100" />
              {item.value > 0 ? (
                <rect
                  x={0}
                  y={0}
                  width={Math.max((item.value / max) * 100, 2)}
                  height={10}
                  rx={5}
                  className={item.fill}
                />
              ) : null}
            </svg>
          </li>
        ))}
      </ul>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.key}>
              <th scope="row">{item.label}</th>
              <td>
                {format(item.value)}
                {item.hint ? ` (${item.hint})` : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
