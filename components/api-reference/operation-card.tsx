import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { LockIcon } from "@/components/ui/icons";
import { FieldsTable } from "./fields-table";
import { MethodBadge } from "./method-badge";
import { Prose } from "./prose";
import {
  anchorOf,
  constraintsOf,
  type FieldRow,
  fieldsOf,
  type OperationEntry,
  type Response,
  refName,
  type Schema,
  schemaAnchor,
  securityLabels,
  typeOf,
} from "./schema";

const IN_LABEL: Record<string, string> = { path: "path", query: "query", header: "header" };

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="mt-6">
      <h4 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">{title}</h4>
      <div className="mt-2">{children}</div>
    </section>
  );
}

/** A body: a link to its shared schema, or its fields. */
function BodySchema({ schema, caption }: { schema: Schema; caption: string }) {
  const ref = refName(schema);
  if (ref) {
    return (
      <p className="text-sm text-slate-700">
        <a
          href={`#${schemaAnchor(ref)}`}
          className="font-mono font-medium text-brand-700 underline-offset-2 hover:underline"
        >
          {ref}
        </a>{" "}
        (see Schemas)
      </p>
    );
  }
  const rows = fieldsOf(schema);
  if (!rows.length) return <p className="text-sm text-slate-700">{typeOf(schema).type}</p>;
  return <FieldsTable caption={caption} rows={rows} />;
}

function Success({ status, response, id }: { status: string; response: Response; id: string }) {
  const [type, media] = Object.entries(response.content ?? {})[0] ?? [];
  return (
    <div className="rounded-xl ring-1 ring-slate-200">
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-100 px-4 py-2.5">
        <Badge tone={status.startsWith("2") ? "success" : "neutral"}>{status}</Badge>
        <p className="text-sm text-slate-700">
          <Prose text={response.description} />
        </p>
        {type ? <code className="ml-auto font-mono text-xs text-slate-600">{type}</code> : null}
      </div>
      {media && type?.includes("json") ? (
        <div className="px-4 py-2">
          <BodySchema schema={media.schema} caption={`${id}: ${status} body fields`} />
        </div>
      ) : null}
    </div>
  );
}

export function OperationCard({ entry }: { entry: OperationEntry }) {
  const { method, path, operation } = entry;
  const id = anchorOf(operation.operationId);
  const parameters: FieldRow[] = operation.parameters.map((p) => ({
    name: p.name,
    type: typeOf(p.schema).type,
    location: IN_LABEL[p.in] ?? p.in,
    required: p.required,
    description: p.description,
    constraints: constraintsOf(p.schema),
    depth: 0,
  }));
  const body = operation.requestBody?.content["application/json"]?.schema;
  const statuses = Object.entries(operation.responses);
  const successes = statuses.filter(([status]) => !operation.responses[status]?.["x-error-codes"]);
  const errors = statuses.flatMap(([status, r]) =>
    (r["x-error-codes"] ?? []).map((code) => ({ status, meaning: r.description.split(":")[0], code })),
  );
  return (
    <Card as="article" aria-labelledby={id} className="scroll-mt-24">
      <header>
        <h3 id={id} className="flex flex-wrap items-center gap-x-3 gap-y-1 text-base font-semibold">
          <MethodBadge method={method} />
          <code className="min-w-0 font-mono text-[0.9375rem] [overflow-wrap:anywhere] text-slate-900">{path}</code>
        </h3>
        <p className="mt-2 text-sm font-medium text-slate-900">{operation.summary}</p>
        {operation.description ? (
          <p className="mt-1 text-sm leading-relaxed text-slate-600">
            <Prose text={operation.description} />
          </p>
        ) : null}
        <p className="mt-3 flex flex-wrap items-center gap-2 text-sm text-slate-700">
          <LockIcon className="text-slate-500" />
          <span className="font-medium">Auth:</span>
          {securityLabels(operation.security).map((label, i) => (
            <span key={label}>
              {i > 0 ? <span className="mr-2 text-slate-500">or</span> : null}
              <Badge tone={label.startsWith("None") ? "neutral" : "brand"}>{label}</Badge>
            </span>
          ))}
        </p>
      </header>

      {parameters.length ? (
        <Section title="Parameters">
          <FieldsTable caption={`${operation.operationId}: parameters`} rows={parameters} nameLabel="Parameter" />
        </Section>
      ) : null}

      {body ? (
        <Section title="Request body (application/json)">
          <BodySchema schema={body} caption={`${operation.operationId}: request body fields`} />
        </Section>
      ) : null}

      <Section title="Responses">
        <div className="space-y-3">
          {successes.map(([status, response]) => (
            <Success key={status} status={status} response={response} id={operation.operationId} />
          ))}
        </div>
      </Section>

      {errors.length ? (
        <Section title="Error codes">
          <div>
            <table className="w-full text-left text-sm">
              <caption className="sr-only">{`${operation.operationId}: error codes`}</caption>
              <thead>
                <tr className="border-b border-slate-200 text-xs tracking-wide text-slate-500 uppercase">
                  <th scope="col" className="w-44 py-2 pr-4 font-semibold">
                    Status
                  </th>
                  <th scope="col" className="py-2 font-semibold">
                    Code
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {errors.map(({ status, meaning, code }) => (
                  <tr key={code}>
                    <td className="py-1.5 pr-4 text-slate-700">
                      <span className="font-mono tabular">{status}</span>
                      <span className="ml-2 text-xs text-slate-600">{meaning}</span>
                    </td>
                    <td className="py-1.5">
                      <code className="font-mono text-[0.8125rem] [overflow-wrap:anywhere] text-slate-900">{code}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      ) : null}
    </Card>
  );
}
