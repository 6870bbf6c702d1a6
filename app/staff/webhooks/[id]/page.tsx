import { deliveryAttempts, deliveryOutcomes, endpointDeliveries, getEndpoint } from "@ticketzero/core/license/webhooks";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { formatDateTime } from "@/components/license/format";
import { ConfirmedEndpointChange, EnableToggle, EndpointForm, ReplayButton } from "@/components/staff/webhook-forms";
import { DeliveryStatusBadge, EndpointStateBadge, eventGroups, OutcomeChart } from "@/components/staff/webhook-parts";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { ChartIcon } from "@/components/ui/icons";
import { requireStaff } from "@/lib/auth/staff";
import { replayWebhookAction, updateWebhookAction, webhookStateAction } from "../../_lib/actions";

export const metadata: Metadata = { title: "Webhook endpoint" };

type Search = Promise<Record<string, string | string[] | undefined>>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

/** The payload, pretty-printed for reading (what was sent is the compact form). */
function pretty(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

export default async function StaffWebhookPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Search;
}) {
  const { id } = await params;
  await requireStaff(`/staff/webhooks/${encodeURIComponent(id)}`);
  const endpoint = await getEndpoint(id);
  if (!endpoint) notFound();
  const before = Number(one((await searchParams).before)) || null;
  const [log, outcomes] = await Promise.all([
    endpointDeliveries(endpoint.id, { before }),
    deliveryOutcomes(endpoint.id),
  ]);
  const attempts = await deliveryAttempts(log.items.map((d) => d.id));
  const stateAction = webhookStateAction.bind(null, endpoint.id);

  return (
    <div className="space-y-8">
      <div>
        <Button href="/staff/webhooks" variant="ghost" size="sm" className="-ml-3">
          ← All endpoints
        </Button>
        <div className="mt-2 flex flex-wrap items-center gap-3">
          <h1 className="font-mono text-lg font-bold break-all sm:text-xl">{endpoint.url}</h1>
          <EndpointStateBadge enabled={endpoint.enabled} reason={endpoint.disabledReason} />
        </div>
        {endpoint.description ? <p className="mt-1 text-slate-600">{endpoint.description}</p> : null}
      </div>

      {!endpoint.enabled && endpoint.disabledReason ? (
        <Alert tone="error" announce="none" title="Disabled: nothing is sent to this endpoint.">
          {endpoint.disabledReason}
          {endpoint.disabledAt ? ` (${formatDateTime(endpoint.disabledAt)})` : null}
        </Alert>
      ) : endpoint.failingSince ? (
        <Alert tone="warning" announce="none" title={`Failing since ${formatDateTime(endpoint.failingSince)}`}>
          Deliveries are being retried with backoff; later events for the same license wait behind a failing one.
        </Alert>
      ) : null}

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-3">
        <Card as="section" aria-labelledby="edit-heading" className="lg:col-span-2">
          <CardHeader id="edit-heading" title="Settings" />
          <EndpointForm
            action={updateWebhookAction.bind(null, endpoint.id)}
            groups={eventGroups()}
            current={endpoint}
            submit="Save changes"
          />
        </Card>
        <Card as="section" aria-labelledby="actions-heading">
          <CardHeader id="actions-heading" title="Actions" description="Every change is recorded in the audit log." />
          <div className="space-y-4">
            <EnableToggle action={stateAction} enabled={endpoint.enabled} />
            <ConfirmedEndpointChange
              action={stateAction}
              op="rotate"
              title="Rotate secret"
              description="A new signing secret, shown once. For 24 hours deliveries carry signatures from both, so the receiver can switch without failures; then only the new one signs."
              confirmText="I understand: the receiver must switch to the new secret within 24 hours."
              button="Rotate secret"
            />
            <ConfirmedEndpointChange
              action={stateAction}
              op="delete"
              title="Delete endpoint"
              description="Removes it with its delivery log; pending deliveries are not sent."
              confirmText="I understand: this cannot be undone."
              button="Delete endpoint"
            />
          </div>
        </Card>
      </div>

      <Card as="section" aria-labelledby="chart-heading">
        <CardHeader
          id="chart-heading"
          title="Deliveries by outcome"
          description="Per day (UTC), by when the event was queued"
        />
        <OutcomeChart days={outcomes} />
      </Card>

      <Card as="section" aria-labelledby="log-heading">
        <CardHeader id="log-heading" title="Delivery log" description="Newest first. Licenses appear masked only." />
        {log.items.length === 0 ? (
          <EmptyState
            icon={<ChartIcon />}
            title="No deliveries yet"
            description="Events this endpoint subscribes to appear here."
          />
        ) : (
          <>
            <div className="-mx-5 hidden overflow-x-auto px-5 sm:-mx-6 sm:px-6 md:block">
              <DataTable
                caption="Deliveries to this endpoint"
                columns={[
                  { label: "Time" },
                  { label: "Event" },
                  { label: "License" },
                  { label: "Status" },
                  { label: "Attempts", align: "right" },
                  { label: "Last code", align: "right" },
                  { label: "Duration", align: "right" },
                  { label: "Details" },
                ]}
              >
                {log.items.map((d) => (
                  <tr key={d.id} data-testid="webhook-delivery" className="align-top">
                    <td className="py-3 pr-4 whitespace-nowrap">
                      <time dateTime={d.createdAt.toISOString()}>{formatDateTime(d.createdAt)}</time>
                      {d.replayOf ? (
                        <span className="block text-xs text-slate-500">replay of #{d.replayOf}</span>
                      ) : null}
                    </td>
                    <td className="py-3 pr-4">
                      <code className="font-mono text-xs">{d.type}</code>
                    </td>
                    <td className="py-3 pr-4 font-mono text-xs whitespace-nowrap">{d.keyMasked ?? "—"}</td>
                    <td className="py-3 pr-4">
                      <DeliveryStatusBadge status={d.status} attempts={d.attempts} />
                    </td>
                    <td className="tabular py-3 pr-4 text-right">{d.attempts}</td>
                    <td className="tabular py-3 pr-4 text-right">{d.lastStatusCode ?? "—"}</td>
                    <td className="tabular py-3 pr-4 text-right whitespace-nowrap">
                      {d.lastDurationMs !== null ? `${d.lastDurationMs} ms` : "—"}
                    </td>
                    <td className="min-w-[14rem] py-3">
                      <DeliveryDetails delivery={d} attempts={attempts} canReplay={endpoint.enabled} />
                    </td>
                  </tr>
                ))}
              </DataTable>
            </div>
            <ul className="divide-y divide-slate-200 md:hidden" aria-label="Deliveries to this endpoint">
              {log.items.map((d) => (
                <li key={d.id} data-testid="webhook-delivery-card" className="space-y-2 py-4">
                  <div className="flex flex-wrap items-center justify-between gap-2">
                    <code className="font-mono text-xs text-slate-900">{d.type}</code>
                    <DeliveryStatusBadge status={d.status} attempts={d.attempts} />
                  </div>
                  <p className="text-xs text-slate-600">
                    <time dateTime={d.createdAt.toISOString()}>{formatDateTime(d.createdAt)}</time>
                    {d.replayOf ? ` · replay of #${d.replayOf}` : ""} ·{" "}
                    <span className="font-mono">{d.keyMasked ?? "—"}</span>
                  </p>
                  <p className="tabular text-xs text-slate-600">
                    {d.attempts} attempt{d.attempts === 1 ? "" : "s"} · last code {d.lastStatusCode ?? "—"}
                    {d.lastDurationMs !== null ? ` · ${d.lastDurationMs} ms` : ""}
                  </p>
                  <DeliveryDetails delivery={d} attempts={attempts} canReplay={endpoint.enabled} />
                </li>
              ))}
            </ul>
          </>
        )}
        {before || log.nextBefore ? (
          <div className="mt-4 flex gap-3">
            {before ? (
              <Button href={`/staff/webhooks/${endpoint.id}`} variant="secondary" size="sm">
                Newest
              </Button>
            ) : null}
            {log.nextBefore ? (
              <Button href={`/staff/webhooks/${endpoint.id}?before=${log.nextBefore}`} variant="secondary" size="sm">
                Older
              </Button>
            ) : null}
          </div>
        ) : null}
      </Card>
    </div>
  );
}

/** A delivery's webhook-id, payload, attempts and the replay button (in the table and on phones' cards). */
type DeliveryItem = Awaited<ReturnType<typeof endpointDeliveries>>["items"][number];
type AttemptItem = Awaited<ReturnType<typeof deliveryAttempts>>[number];

function DeliveryDetails({
  delivery: d,
  attempts,
  canReplay,
}: {
  delivery: DeliveryItem;
  attempts: AttemptItem[];
  canReplay: boolean;
}) {
  return (
    <details>
      <summary className="cursor-pointer text-sm font-medium text-brand-700">Payload and attempts</summary>
      <div className="mt-2 space-y-3">
        <p className="text-xs text-slate-600">
          webhook-id <code className="font-mono">{d.eventId}</code>
        </p>
        {/* Focusable: a scrolling region must be reachable by keyboard (WCAG 2.1.1). */}
        <section
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs keyboard access
          tabIndex={0}
          aria-label={`Payload of delivery ${d.id}`}
          className="max-h-64 max-w-[80vw] overflow-auto rounded-lg bg-slate-900 p-3 sm:max-w-xl"
        >
          <pre className="text-xs text-slate-100">{pretty(d.payload)}</pre>
        </section>
        <ol className="space-y-1 text-xs text-slate-700">
          {attempts
            .filter((a) => a.deliveryId === d.id)
            .map((a, i) => (
              <li key={a.id}>
                #{i + 1} · <time dateTime={a.at.toISOString()}>{formatDateTime(a.at)}</time> ·{" "}
                {a.statusCode ?? a.error ?? "no answer"} · {a.durationMs} ms
                {a.responseExcerpt ? (
                  <code className="mt-0.5 block max-w-xl truncate font-mono text-slate-500">{a.responseExcerpt}</code>
                ) : null}
              </li>
            ))}
        </ol>
        {canReplay ? <ReplayButton action={replayWebhookAction} deliveryId={d.id} /> : null}
      </div>
    </details>
  );
}
