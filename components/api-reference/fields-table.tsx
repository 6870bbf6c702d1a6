import { cn } from "@/components/ui/cn";
import { Prose } from "./prose";
import { type FieldRow, schemaAnchor } from "./schema";

/**
 * Fields of a body, or parameters: two columns so it reads at a phone's width too — the name with
 * its type and whether it is required, then what else the schema says.
 */
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
    <table className="w-full table-fixed text-left text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr className="border-b border-slate-200 text-xs tracking-wide text-slate-500 uppercase">
          <th scope="col" className="w-[42%] py-2 pr-4 font-semibold sm:w-[36%]">
            {nameLabel}
          </th>
          <th scope="col" className="py-2 font-semibold">
            Details
          </th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map((row) => (
          <tr key={`${row.location ?? ""}${row.name}`} className="align-top">
            <th scope="row" className="py-2 pr-4 font-normal">
              <code
                className={cn(
                  "block font-mono text-[0.8125rem] font-semibold [overflow-wrap:anywhere]",
                  row.depth > 0 ? "text-slate-700" : "text-slate-900",
                )}
              >
                {row.name}
              </code>
              <span className="mt-0.5 block font-mono text-xs [overflow-wrap:anywhere] text-slate-600">
                {row.ref ? (
                  <a href={`#${schemaAnchor(row.ref)}`} className="text-brand-700 underline underline-offset-2">
                    {row.type}
                  </a>
                ) : (
                  row.type
                )}
              </span>
              <span className="mt-0.5 block text-xs">
                {row.location ? <span className="text-slate-600">{row.location} · </span> : null}
                <span className={row.required ? "font-semibold text-amber-900" : "text-slate-600"}>
                  {row.required ? "required" : "optional"}
                </span>
              </span>
            </th>
            <td className="py-2 text-slate-700">
              {row.description ? (
                <p>
                  <Prose text={row.description} />
                </p>
              ) : null}
              {row.constraints.length ? (
                <ul className="mt-0.5 space-y-0.5 font-mono text-xs [overflow-wrap:anywhere] text-slate-600">
                  {row.constraints.map((c) => (
                    <li key={c}>{c}</li>
                  ))}
                </ul>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
