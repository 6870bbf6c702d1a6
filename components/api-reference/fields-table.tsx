import { cn } from "@/components/ui/cn";
import { type FieldRow, schemaAnchor } from "./schema";

/** Fields of a body or parameters: name, type, required, and what else the schema says. */
export function FieldsTable({
  caption,
  rows,
  nameLabel = "Field",
}: {
  caption: string;
  rows: FieldRow[];
  nameLabel?: string;
}) {
  if (!rows.length) return <p className="text-sm text-slate-600">No fields.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full min-w-[32rem] text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr className="border-b border-slate-200 text-xs tracking-wide text-slate-500 uppercase">
            <th scope="col" className="py-2 pr-4 font-semibold">
              {nameLabel}
            </th>
            <th scope="col" className="py-2 pr-4 font-semibold">
              Type
            </th>
            <th scope="col" className="py-2 font-semibold">
              Details
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((row) => (
            <tr key={row.name} className="align-top">
              <th scope="row" className="py-2 pr-4 font-normal">
                <code
                  className={cn(
                    "font-mono text-[0.8125rem] text-slate-900 break-all",
                    row.depth > 0 && "text-slate-700",
                  )}
                >
                  {row.name}
                </code>
                <span
                  className={cn(
                    "mt-0.5 block text-xs",
                    row.required ? "font-semibold text-amber-900" : "text-slate-500",
                  )}
                >
                  {row.required ? "required" : "optional"}
                </span>
              </th>
              <td className="py-2 pr-4">
                {row.ref ? (
                  <a
                    href={`#${schemaAnchor(row.ref)}`}
                    className="font-mono text-[0.8125rem] text-brand-700 underline-offset-2 hover:underline"
                  >
                    {row.type}
                  </a>
                ) : (
                  <code className="font-mono text-[0.8125rem] text-slate-700">{row.type}</code>
                )}
              </td>
              <td className="py-2 text-slate-700">
                {row.description ? <p>{row.description}</p> : null}
                {row.constraints.length ? (
                  <ul className="mt-0.5 space-y-0.5 text-xs text-slate-600">
                    {row.constraints.map((c) => (
                      <li key={c} className="break-all">
                        {c}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
