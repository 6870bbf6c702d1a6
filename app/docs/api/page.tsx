import { openApiDocument } from "@ticketzero/core/http/openapi";
import type { Metadata } from "next";
import { ApiToc } from "@/components/api-reference/api-toc";
import { FieldsTable } from "@/components/api-reference/fields-table";
import { OperationCard } from "@/components/api-reference/operation-card";
import { Prose } from "@/components/api-reference/prose";
import { fieldsOf, operationsByTag, schemaAnchor, tagAnchor, typeOf } from "@/components/api-reference/schema";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";

export const metadata: Metadata = {
  title: "API reference",
  description: "Every HTTP endpoint of the TicketZero License Portal: parameters, bodies, answers and error codes.",
};

const JSON_URL = "/api/openapi.json";

/** The API reference, rendered from the same OpenAPI document /api/openapi.json serves. */
export default function ApiReferencePage() {
  const document = openApiDocument();
  const groups = operationsByTag(document).filter((g) => g.operations.length > 0);
  const schemas = Object.entries(document.components.schemas).filter(([name]) => name !== "Error");
  const errorSchema = document.components.schemas.Error;
  return (
    <>
      <section aria-labelledby="api-title" className="border-b border-slate-200 bg-white">
        <div className="container-page py-10 sm:py-12">
          <p className="text-sm font-semibold text-brand-700">Developers</p>
          <h1 id="api-title" className="mt-2 text-3xl font-bold sm:text-4xl">
            API reference
          </h1>
          <p className="mt-3 max-w-3xl text-base text-slate-600">
            Every HTTP endpoint of the License Portal, generated from the schemas that validate its requests and
            answers. JSON in, JSON out; every refusal has one shape with a stable code.
          </p>
          <div className="mt-5 flex flex-wrap items-center gap-3 text-sm">
            <Badge tone="brand">OpenAPI {document.openapi}</Badge>
            <Badge>Version {document.info.version}</Badge>
            <span className="text-slate-600">
              Server:{" "}
              <code className="font-mono text-slate-800 [overflow-wrap:anywhere]">{document.servers[0]?.url}</code>
            </span>
            <a
              href={JSON_URL}
              download="ticketzero-openapi.json"
              className="inline-flex items-center rounded-lg bg-brand-700 px-3.5 py-2 font-semibold text-white shadow-sm hover:bg-brand-800"
            >
              Download openapi.json
            </a>
          </div>
        </div>
      </section>

      <div className="container-page grid gap-8 py-8 lg:grid-cols-[17rem_minmax(0,1fr)] lg:py-10">
        <aside className="lg:sticky lg:top-20 lg:max-h-[calc(100dvh-6rem)] lg:self-start lg:overflow-y-auto">
          <details className="group rounded-xl bg-white p-4 ring-1 ring-slate-200 lg:hidden">
            <summary className="cursor-pointer text-sm font-semibold text-slate-900">On this page</summary>
            <nav aria-label="API reference, on this page" className="mt-4">
              <ApiToc groups={groups} schemas={schemas.map(([name]) => name)} />
            </nav>
          </details>
          <nav aria-label="API reference" className="hidden lg:block">
            <ApiToc groups={groups} schemas={schemas.map(([name]) => name)} />
          </nav>
        </aside>

        <div className="min-w-0 space-y-12">
          <Card as="section" aria-labelledby="conventions">
            <h2 id="conventions" className="text-lg font-semibold">
              Conventions
            </h2>
            <ul className="mt-3 list-disc space-y-1.5 pl-5 text-sm leading-relaxed text-slate-700">
              <li>
                Installations send their license key as{" "}
                <code className="font-mono">Authorization: Bearer &lt;key&gt;</code> and identify themselves with{" "}
                <code className="font-mono">X-Instance-Id</code>.
              </li>
              <li>
                The staff API takes staff API tokens (<code className="font-mono">Bearer tzs_…</code>); each operation
                names the scope it needs. A write token can also read.
              </li>
              <li>
                A method a path does not list is 405 <code className="font-mono">METHOD_NOT_ALLOWED</code> (with{" "}
                <code className="font-mono">Allow</code>); an unknown path under{" "}
                <code className="font-mono">/api/</code> is 404 <code className="font-mono">NOT_FOUND</code>. 429 and
                503 carry <code className="font-mono">Retry-After</code>.
              </li>
            </ul>
            <h3 className="mt-5 text-sm font-semibold text-slate-900">Every refusal</h3>
            <div className="mt-2">
              <FieldsTable caption="The error body's fields" rows={fieldsOf(errorSchema)} />
            </div>
          </Card>

          {groups.map((group) => (
            <section key={group.tag} aria-labelledby={tagAnchor(group.tag)} className="space-y-5">
              <div>
                <h2 id={tagAnchor(group.tag)} className="text-xl font-bold">
                  {group.tag}
                </h2>
                {group.description ? (
                  <p className="mt-1 text-sm text-slate-600">
                    <Prose text={group.description} />
                  </p>
                ) : null}
              </div>
              {group.operations.map((entry) => (
                <OperationCard key={entry.operation.operationId} entry={entry} />
              ))}
            </section>
          ))}

          <section aria-labelledby="schemas" className="space-y-5">
            <div>
              <h2 id="schemas" className="text-xl font-bold">
                Schemas
              </h2>
              <p className="mt-1 text-sm text-slate-600">The shapes several operations share.</p>
            </div>
            {schemas.map(([name, schema]) => {
              const rows = fieldsOf(schema);
              return (
                <Card key={name} as="article" aria-labelledby={schemaAnchor(name)}>
                  <h3 id={schemaAnchor(name)} className="font-mono text-base font-semibold">
                    {name}
                  </h3>
                  {typeof schema.description === "string" ? (
                    <p className="mt-1 text-sm text-slate-600">
                      <Prose text={schema.description} />
                    </p>
                  ) : null}
                  <div className="mt-3">
                    {rows.length ? (
                      <FieldsTable caption={`${name} fields`} rows={rows} />
                    ) : (
                      <p className="text-sm text-slate-700">
                        <code className="font-mono">{typeOf(schema).type}</code>
                        {Array.isArray(schema.enum) ? `: one of ${schema.enum.join(", ")}` : null}
                      </p>
                    )}
                  </div>
                </Card>
              );
            })}
          </section>
        </div>
      </div>
    </>
  );
}
