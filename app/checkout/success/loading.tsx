import { Spinner } from "@/components/ui/spinner";

export default function IssuingLicense() {
  return (
    <div className="container-page flex max-w-2xl flex-col items-center py-20 text-center" aria-busy="true">
      <Spinner size="lg" label={null} className="text-brand-600" />
      <p role="status" className="mt-5 text-lg font-semibold text-slate-900">
        Issuing your license…
      </p>
      <p className="mt-1 text-sm text-slate-600">This takes a few seconds. Please keep this page open.</p>
    </div>
  );
}
