import { Skeleton } from "@/components/ui/skeleton";
import { Spinner } from "@/components/ui/spinner";

/** The webhooks pages (the list and an endpoint's page, which inherits it) while they load. */
export default function WebhooksLoading() {
  return (
    <div className="space-y-6" aria-busy="true">
      <div className="flex items-center gap-3 text-sm text-slate-600">
        <Spinner size="sm" label="Loading webhooks" />
        <span aria-hidden="true">Loading…</span>
      </div>
      <Skeleton className="h-8 w-48" />
      <Skeleton className="h-48 rounded-2xl" />
      <Skeleton className="h-72 rounded-2xl" />
    </div>
  );
}
