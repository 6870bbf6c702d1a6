import { useId } from "react";
import { DataTable } from "@/components/ui/data-table";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { EmptyState } from "../ui/empty-state";
import { ServerIcon } from "../ui/icons";
import { SubmitButton } from "../ui/submit-button";
import { formatDateTime, formatRelative } from "./format";

export type Installation = {
  instanceId: string;
  instanceName: string | null;
  activatedAt: string;
  lastSeenAt: string;
};

export type InstallationsTableProps = {
  installations: Installation[];
  /** Server action; receives FormData with `instanceId`. Without it, no Deactivate buttons are shown. */
  deactivateAction?: (formData: FormData) => Promise<void>;
  /** Shown as "2 of 5 activations used" in the header. */
  maxActivations?: number;
  /** Reference time for "last seen" (defaults to now). */
  now?: Date;
  title?: string;
  className?: string;
};

/** Considered checked-in when seen within this many hours. */
const ONLINE_HOURS = 24;

function seenRecently(lastSeenAt: string, now: Date): boolean {
  const t = new Date(lastSeenAt).getTime();
  return Number.isFinite(t) && now.getTime() - t <= ONLINE_HOURS * 3_600_000;
}

function CheckInBadge({ recent }: { recent: boolean }) {
  return recent ? (
    <Badge tone="success" icon={<span className="size-1.5 rounded-full bg-emerald-500" aria-hidden="true" />}>
      Checking in
    </Badge>
  ) : (
    <Badge tone="neutral" icon={<span className="size-1.5 rounded-full bg-slate-400" aria-hidden="true" />}>
      Not seen in 24h
    </Badge>
  );
}

/** Activated installations: a table on desktop, stacked cards on phones; a Deactivate form per row. */
export function InstallationsTable({
  installations,
  deactivateAction,
  maxActivations,
  now = new Date(),
  title = "Installations",
  className,
}: InstallationsTableProps) {
  const uid = useId();
  const headingId = `${uid}-heading`;
  const nameId = (i: number) => `${uid}-name-${i}`;
  const count = installations.length;

  const deactivate = (inst: Installation, describedBy: string, fullWidth = false) =>
    deactivateAction ? (
      <form action={deactivateAction}>
        <input type="hidden" name="instanceId" value={inst.instanceId} />
        <SubmitButton variant="danger" size="sm" aria-describedby={describedBy} fullWidth={fullWidth}>
          Deactivate
        </SubmitButton>
      </form>
    ) : null;

  const name = (inst: Installation) => inst.instanceName?.trim() || "Unnamed installation";

  return (
    <Card as="section" aria-labelledby={headingId} className={className}>
      <CardHeader
        id={headingId}
        title={title}
        description="TicketZero AI servers activated with this license. Deactivate one to free its slot."
        action={
          maxActivations !== undefined ? (
            <Badge tone={count >= maxActivations ? "warning" : "brand"}>
              <span className="tabular">
                {count} of {maxActivations}
              </span>{" "}
              activations used
            </Badge>
          ) : null
        }
      />
      {count === 0 ? (
        <EmptyState
          icon={<ServerIcon />}
          title="No installations yet"
          description="Activate your license key on a TicketZero AI server and it will appear here after its first check-in."
        />
      ) : (
        <>
          {/* Desktop: table */}
          <div className="hidden overflow-x-auto md:block">
            <DataTable
              caption={"Activated installations"}
              columns={[
                { label: "Installation" },
                { label: "Activated" },
                { label: "Last check-in" },
                deactivateAction && { label: "Actions", align: "right", srOnly: true },
              ]}
            >
              {installations.map((inst, i) => {
                const recent = seenRecently(inst.lastSeenAt, now);
                return (
                  <tr key={inst.instanceId} className="align-middle">
                    <th scope="row" className="py-3.5 pr-4 font-normal">
                      <span className="flex items-center gap-3">
                        <span className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-slate-100 text-slate-600">
                          <ServerIcon className="size-4.5" />
                        </span>
                        <span className="min-w-0">
                          <span id={`${nameId(i)}-d`} className="block font-medium text-slate-900">
                            {name(inst)}
                          </span>
                          <span className="block max-w-[18rem] truncate font-mono text-xs text-slate-500">
                            {inst.instanceId}
                          </span>
                        </span>
                      </span>
                    </th>
                    <td className="py-3.5 pr-4 text-slate-700">
                      <time dateTime={inst.activatedAt} title={formatDateTime(inst.activatedAt)}>
                        {formatRelative(inst.activatedAt, now)}
                      </time>
                    </td>
                    <td className="py-3.5 pr-4">
                      <span className="flex flex-wrap items-center gap-2">
                        <time
                          dateTime={inst.lastSeenAt}
                          title={formatDateTime(inst.lastSeenAt)}
                          className="text-slate-700"
                        >
                          {formatRelative(inst.lastSeenAt, now)}
                        </time>
                        <CheckInBadge recent={recent} />
                      </span>
                    </td>
                    {deactivateAction ? (
                      <td className="py-3.5 text-right">{deactivate(inst, `${nameId(i)}-d`)}</td>
                    ) : null}
                  </tr>
                );
              })}
            </DataTable>
          </div>

          {/* Phone: stacked cards */}
          <ul className="space-y-3 md:hidden">
            {installations.map((inst, i) => {
              const recent = seenRecently(inst.lastSeenAt, now);
              return (
                <li key={inst.instanceId} className={cn("rounded-xl p-4 ring-1 ring-slate-200")}>
                  <div className="flex items-start justify-between gap-3">
                    <div className="min-w-0">
                      <p id={nameId(i)} className="font-medium text-slate-900">
                        {name(inst)}
                      </p>
                      <p className="truncate font-mono text-xs text-slate-500">{inst.instanceId}</p>
                    </div>
                    <CheckInBadge recent={recent} />
                  </div>
                  <dl className="mt-3 grid grid-cols-2 gap-3 text-sm">
                    <div>
                      <dt className="text-xs text-slate-500">Activated</dt>
                      <dd className="text-slate-800">
                        <time dateTime={inst.activatedAt}>{formatRelative(inst.activatedAt, now)}</time>
                      </dd>
                    </div>
                    <div>
                      <dt className="text-xs text-slate-500">Last check-in</dt>
                      <dd className="text-slate-800">
                        <time dateTime={inst.lastSeenAt}>{formatRelative(inst.lastSeenAt, now)}</time>
                      </dd>
                    </div>
                  </dl>
                  {deactivateAction ? <div className="mt-4">{deactivate(inst, nameId(i), true)}</div> : null}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </Card>
  );
}
