import { MethodBadge } from "./method-badge";
import { anchorOf, type operationsByTag, tagAnchor } from "./schema";

/** The table of contents: every operation under its tag, then the shared schemas. */
export function ApiToc({ groups, schemas }: { groups: ReturnType<typeof operationsByTag>; schemas: string[] }) {
  return (
    <ul className="space-y-5 text-sm">
      {groups.map((group) => (
        <li key={group.tag}>
          <a href={`#${tagAnchor(group.tag)}`} className="font-semibold text-slate-900 hover:text-brand-700">
            {group.tag}
          </a>
          <ul className="mt-2 space-y-1">
            {group.operations.map(({ method, path, operation }) => (
              <li key={operation.operationId}>
                <a
                  href={`#${anchorOf(operation.operationId)}`}
                  className="flex items-start gap-2 rounded-md px-1.5 py-1 text-slate-700 hover:bg-slate-100 hover:text-slate-900"
                >
                  <MethodBadge method={method} className="w-12 text-[0.625rem]" />
                  <span className="min-w-0 font-mono text-xs leading-5 [overflow-wrap:anywhere]">{path}</span>
                </a>
              </li>
            ))}
          </ul>
        </li>
      ))}
      <li>
        <a href="#schemas" className="font-semibold text-slate-900 hover:text-brand-700">
          Schemas
        </a>
        <ul className="mt-2 space-y-1">
          {schemas.map((name) => (
            <li key={name}>
              <a
                href={`#schema-${name}`}
                className="block rounded-md px-1.5 py-1 font-mono text-xs text-slate-700 hover:bg-slate-100"
              >
                {name}
              </a>
            </li>
          ))}
        </ul>
      </li>
    </ul>
  );
}
