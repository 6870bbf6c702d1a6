import { Skeleton } from "@/components/ui/skeleton";
import { Spinner } from "@/components/ui/spinner";

export default function Loading() {
  return (
    <div className="container-page py-12" aria-busy="true">
      <div className="flex items-center gap-3 text-sm text-slate-600">
        <Spinner size="sm" label="Loading page" />
        <span aria-hidden="true">Loading…</span>
      </div>
      <div className="mt-8 space-y-4">
        <Skeleton className="h-9 w-2/3 max-w-md" />
        <Skeleton className="h-5 w-full max-w-xl" />
        <div className="grid gap-6 pt-6 md:grid-cols-3">
          <Skeleton className="h-48 rounded-2xl" />
          <Skeleton className="h-48 rounded-2xl" />
          <Skeleton className="h-48 rounded-2xl" />
        </div>
      </div>
    </div>
  );
}
