import type { SlotSummary } from "@ticketzero/core/license/types";
import { useId } from "react";
import { DataTable } from "@/components/ui/data-table";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { ConfirmDisclosure } from "../ui/confirm-disclosure";
import { EmptyState } from "../ui/empty-state";
import { ServerIcon } from "../ui/icons";
import { formatDate, formatDateTime, formatNumber, formatRelative } from "./format";

export type Installation = {
  instanceId: string;
  instanceName: string | null;
  activatedAt: string;
  lastSeenAt: string;
  /** Set for a deactivated installation that still holds its slot (its certificate is valid until then). */
  heldUntil?: string | null;
  /** When the last certificate issued to it expires: how long a deactivation without a swap holds its slot. */
  certificateExpiresAt?: string | null;
  /** An air-gapped installation (licensed by a license file; it never checks in). */
  airGapped?: { fileExpiresAt: string | null; downloadHref: string | null } | null;
};

export type InstallationsTableProps = {
  installations: Installation[];
  /** Server action; receives FormData with `instanceId`. Without it, no Deactivate buttons are shown. */
  deactivateAction?: (formData: FormData) => Promise<void>;
  /** Staff override for a held slot; receives `instanceId` and `reason`. */
  releaseAction?: (formData: FormData) => Promise<void>;
  /** Shown as "2 of 5 activations used" in the header. */
  maxActivations?: number;
  /** Slots, swaps left and the next slot to free: shown in the header and in the deactivation confirmation. */
  slots?: SlotSummary | null;
  /** How long an installation may stay silent before it is deactivated automatically ("7 days"); null: never. */
  heartbeatWindow?: string | null;
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

function CheckInBadge({
  recent,
  heldUntil,
  airGapped,
}: {
  recent: boolean;
  heldUntil?: string | null;
  airGapped?: Installation["airGapped"];
}) {
  if (heldUntil) {
    return (
      <Badge tone="warning" icon={<span className="size-1.5 rounded-full bg-amber-500" aria-hidden="true" />}>
        Deactivated · slot frees {formatDate(heldUntil)}
      </Badge>
    );
  }
  if (airGapped) {
    return (
      <Badge tone="brand" icon={<span className="size-1.5 rounded-full bg-brand-500" aria-hidden="true" />}>
        Air-gapped{airGapped.fileExpiresAt ? ` · file valid to ${formatDate(airGapped.fileExpiresAt)}` : ""}
      </Badge>
    );
  }
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
  releaseAction,
  maxActivations,
  slots,
  heartbeatWindow,
  now = new Date(),
  title = "Installations",
  className,
}: InstallationsTableProps) {
  const uid = useId();
  const headingId = `${uid}-heading`;
  const nameId = (i: number) => `${uid}-name-${i}`;
  const count = slots?.used ?? installations.length;
  const max = slots?.max ?? maxActivations;

  // What deactivating does to the slot, said before it happens.
  const consequence = (inst: Installation) =>
    inst.airGapped
      ? `Without its deactivation code, its slot stays taken until its license file expires${inst.airGapped.fileExpiresAt ? ` (${formatDate(inst.airGapped.fileExpiresAt)})` : ""}. To free the slot now, run tz-license offline-deactivate on the installation and enter the code under “Air-gapped installations”.`
      : !slots
        ? "Its slot becomes free for another installation."
        : slots.swapsLeft > 0
          ? `Its slot frees at once (uses 1 of ${slots.swapsLeft} swap${slots.swapsLeft === 1 ? "" : "s"} left this 30 days). The server stops renewing its certificate.`
          : `No swaps are left this 30 days: the installation can keep running on its certificate, so its slot stays taken until that certificate expires${inst.certificateExpiresAt ? ` (${formatDate(inst.certificateExpiresAt)})` : ""}.`;

  // A license file may run until its expiry: only its deactivation code frees that slot early.
  const fileMayRun = (inst: Installation) =>
    !!inst.airGapped?.fileExpiresAt && new Date(inst.airGapped.fileExpiresAt).getTime() > now.getTime();

  const release = (inst: Installation, describedBy: string, fullWidth = false) =>
    releaseAction && inst.heldUntil && !fileMayRun(inst) ? (
      <ConfirmDisclosure
        label="Release slot…"
        tone="warning"
        describedBy={describedBy}
        fullWidth={fullWidth}
        title="Release this slot now?"
        body={`Staff override: the installation may keep running on its certificate until ${formatDate(inst.heldUntil)}, so one more installation can run than the license allows until then. Audited.`}
        action={releaseAction}
        fields={{ instanceId: inst.instanceId }}
        submit="Release slot"
      >
        <label className="block text-xs font-medium text-slate-700">
          Reason
          <input
            name="reason"
            required
            maxLength={500}
            className="mt-1 block w-full rounded-lg border-slate-300 px-2 py-1.5 text-sm ring-1 ring-slate-300"
          />
        </label>
      </ConfirmDisclosure>
    ) : null;

  const deactivate = (inst: Installation, describedBy: string, fullWidth = false) =>
    deactivateAction && !inst.heldUntil ? (
      <ConfirmDisclosure
        label="Deactivate…"
        tone="danger"
        describedBy={describedBy}
        fullWidth={fullWidth}
        title={`Deactivate ${name(inst)}?`}
        body={consequence(inst)}
        action={deactivateAction}
        fields={{ instanceId: inst.instanceId }}
        submit="Deactivate installation"
      />
    ) : null;

  const name = (inst: Installation) => inst.instanceName?.trim() || "Unnamed installation";

  // An air-gapped installation never checks in: its last contact is its latest license file.
  const lastContact = (inst: Installation) =>
    inst.airGapped ? `File issued ${formatRelative(inst.lastSeenAt, now)}` : formatRelative(inst.lastSeenAt, now);

  const downloadLink = (inst: Installation) =>
    inst.airGapped?.downloadHref ? (
      <a
        href={inst.airGapped.downloadHref}
        className="mt-0.5 inline-block text-xs font-semibold text-brand-700 underline underline-offset-2"
      >
        Download license file<span className="sr-only"> of {name(inst)}</span>
      </a>
    ) : null;

  return (
    <Card as="section" aria-labelledby={headingId} className={className}>
      <CardHeader
        id={headingId}
        title={title}
        description={
          <>
            TicketZero AI servers activated with this license. Deactivate one to free its slot.
            {slots ? (
              <span className="mt-1 block text-slate-500">
                {formatNumber(slots.swapsLeft)} of {formatNumber(slots.swapsPer30Days)} swaps left this 30 days
                {slots.nextFreesAt && slots.used >= slots.max
                  ? ` · next slot frees by ${formatDate(slots.nextFreesAt)}`
                  : ""}
                {heartbeatWindow ? ` · silent for ${heartbeatWindow}: deactivated automatically` : ""}
              </span>
            ) : null}
          </>
        }
        action={
          max !== undefined ? (
            <Badge tone={count >= max ? "warning" : "brand"}>
              <span className="tabular">
                {formatNumber(count)} of {formatNumber(max)}
              </span>{" "}
              activations used
            </Badge>
          ) : null
        }
      />
      {installations.length === 0 ? (
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
                          {downloadLink(inst)}
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
                          {lastContact(inst)}
                        </time>
                        <CheckInBadge recent={recent} heldUntil={inst.heldUntil} airGapped={inst.airGapped} />
                      </span>
                    </td>
                    {deactivateAction ? (
                      <td className="py-3.5 text-right">
                        {deactivate(inst, `${nameId(i)}-d`)}
                        {release(inst, `${nameId(i)}-d`)}
                      </td>
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
                      {downloadLink(inst)}
                    </div>
                    <CheckInBadge recent={recent} heldUntil={inst.heldUntil} airGapped={inst.airGapped} />
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
                        <time dateTime={inst.lastSeenAt}>{lastContact(inst)}</time>
                      </dd>
                    </div>
                  </dl>
                  {deactivateAction ? (
                    <div className="mt-4">
                      {deactivate(inst, nameId(i), true)}
                      {release(inst, nameId(i), true)}
                    </div>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </Card>
  );
}
