import { listEndpoints } from "@ticketzero/core/license/webhooks";
import type { Metadata } from "next";
import Link from "next/link";
import { formatDateTime, formatRelative } from "@/components/license/format";
import { EndpointForm } from "@/components/staff/webhook-forms";
import { DeliveryStatusBadge, EndpointStateBadge, eventGroups } from "@/components/staff/webhook-parts";
import { Alert } from "@/components/ui/alert";
import { Card, CardHeader } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PlugIcon } from "@/components/ui/icons";
import { requireStaff } from "@/lib/auth/staff";
import { createWebhookAction } from "../_lib/actions";

export const metadata: Metadata = { title: "Webhooks" };

type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function StaffWebhooksPage({ searchParams }: { searchParams: Search }) {
  await requireStaff("/staff/webhooks");
  const params = await searchParams;
  const endpoints = await listEndpoints();
  const now = new Date();

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-bold sm:text-3xl">Webhooks</h1>
        <p className="mt-1 max-w-3xl text-slate-600">
          Signed events (Standard Webhooks) sent to your other systems when licenses, trials, activations and usage
          change. Each stream (endpoint and license) is delivered in order; failures are retried with backoff for 72
          hours, then the endpoint is disabled and staff are mailed.
        </p>
      </div>

      {params.deleted ? <Alert tone="success" title="Endpoint deleted; nothing more is sent to it." /> : null}

      <Card as="section" aria-labelledby="endpoints-heading">
        <CardHeader id="endpoints-heading" title="Endpoints" description="Health from the latest attempts" />
        {endpoints.length === 0 ? (
          <EmptyState
            icon={<PlugIcon />}
            title="No endpoints yet"
            description="Add one below to start receiving events."
          />
        ) : (
          <div className="-mx-5 overflow-x-auto px-5 sm:-mx-6 sm:px-6">
            <DataTable
              caption="Webhook endpoints"
              columns={[
                { label: "Endpoint" },
                { label: "Events", align: "right" },
                { label: "State" },
                { label: "Last delivery" },
                { label: "Failing since" },
              ]}
            >
              {endpoints.map((e) => (
                <tr key={e.id}>
                  <td className="max-w-[18rem] py-3 pr-4">
                    <Link
                      href={`/staff/webhooks/${e.id}`}
                      className="font-mono text-xs font-semibold break-all text-brand-700 underline-offset-2 hover:underline"
                    >
                      {e.url}
                    </Link>
                    {e.description ? <span className="block text-xs text-slate-600">{e.description}</span> : null}
                  </td>
                  <td className="tabular py-3 pr-4 text-right">{e.events.length}</td>
                  <td className="py-3 pr-4">
                    <EndpointStateBadge enabled={e.enabled} reason={e.disabledReason} />
                    {!e.enabled && e.disabledReason ? (
                      <span className="mt-1 block max-w-[14rem] text-xs text-slate-600">{e.disabledReason}</span>
                    ) : null}
                  </td>
                  <td className="py-3 pr-4 whitespace-nowrap">
                    {e.lastDelivery ? (
                      <span className="flex flex-col gap-1">
                        <span className="flex items-center gap-2">
                          <DeliveryStatusBadge status={e.lastDelivery.status} />
                          {e.lastDelivery.statusCode !== null ? (
                            <code className="font-mono text-xs">{e.lastDelivery.statusCode}</code>
                          ) : null}
                        </span>
                        <time
                          dateTime={e.lastDelivery.at.toISOString()}
                          title={formatDateTime(e.lastDelivery.at)}
                          className="text-xs text-slate-500"
                        >
                          {formatRelative(e.lastDelivery.at, now)}
                        </time>
                      </span>
                    ) : (
                      <span className="text-slate-500">None yet</span>
                    )}
                  </td>
                  <td className="py-3 whitespace-nowrap">
                    {e.failingSince ? (
                      <time dateTime={e.failingSince.toISOString()} className="text-red-700">
                        {formatDateTime(e.failingSince)}
                      </time>
                    ) : (
                      <span className="text-slate-500">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
          </div>
        )}
      </Card>

      <Card as="section" aria-labelledby="add-heading">
        <CardHeader
          id="add-heading"
          title="Add endpoint"
          description="The signing secret is shown once, right after you add the endpoint."
        />
        <EndpointForm action={createWebhookAction} groups={eventGroups()} submit="Add endpoint" />
      </Card>
    </div>
  );
}
