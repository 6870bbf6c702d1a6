import type { ReactNode } from "react";
import { cn } from "./cn";

export type Column = { label: string; align?: "right"; srOnly?: boolean };

/**
 * The tables of the Admin Panel and the back office: a caption for screen
 * readers, one header style, divided rows. Falsy columns are left out, so a
 * column can be conditional (`showLicense && { label: "License" }`).
 */
export function DataTable({
  caption,
  columns,
  children,
}: {
  caption: string;
  columns: (Column | false | null | undefined)[];
  children: ReactNode;
}) {
  const shown = columns.filter((column): column is Column => Boolean(column));
  return (
    <table className="w-full text-left text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr className="border-b border-slate-200 text-xs tracking-wide text-slate-500 uppercase">
          {shown.map((column, index) => (
            <th
              key={column.label}
              scope="col"
              className={cn(
                "py-2.5 font-semibold",
                index < shown.length - 1 && "pr-4",
                column.align === "right" && "text-right",
              )}
            >
              {column.srOnly ? <span className="sr-only">{column.label}</span> : column.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">{children}</tbody>
    </table>
  );
}
