import { Skeleton } from "@/components/ui/skeleton";
import { Spinner } from "@/components/ui/spinner";

export default function LicenseLoading() {
  return (
    <div className="space-y-8" aria-busy="true">
      <div className="flex items-center gap-3 text-sm text-slate-600">
        <Spinner size="sm" label="Loading License & Billing" />
        <span aria-hidden="true">Loading your license…</span>
      </div>
      <div className="space-y-2">
        <Skeleton className="h-8 w-64" />
        <Skeleton className="h-5 w-full max-w-lg" />
      </div>
      <div className="flex items-center gap-6 rounded-2xl bg-white p-6 ring-1 ring-slate-200">
        <Skeleton className="size-28 rounded-full" />
        <div className="flex-1 space-y-3">
          <Skeleton className="h-6 w-28 rounded-full" />
          <Skeleton className="h-8 w-48" />
          <Skeleton className="h-4 w-full max-w-md" />
        </div>
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        <Skeleton className="h-72 rounded-2xl" />
        <Skeleton className="h-72 rounded-2xl" />
      </div>
      <Skeleton className="h-56 rounded-2xl" />
      <Skeleton className="h-48 rounded-2xl" />
    </div>
  );
}
