import type { Metadata } from "next";
import { Button } from "@/components/ui/button";
import { ArrowRightIcon } from "@/components/ui/icons";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <div className="container-page flex flex-col items-center py-24 text-center sm:py-32">
      <p className="tabular rounded-full bg-brand-50 px-3 py-1 text-sm font-semibold text-brand-700 ring-1 ring-brand-100">
        404
      </p>
      <h1 className="mt-5 text-3xl font-bold sm:text-4xl">We couldn’t find that page</h1>
      <p className="mt-3 max-w-md text-slate-600">
        The link may be out of date, or the page may have moved. Check the address, or head somewhere useful.
      </p>
      <div className="mt-8 flex flex-col gap-3 sm:flex-row">
        <Button href="/">Go to the homepage</Button>
        <Button href="/plans" variant="secondary" trailingIcon={<ArrowRightIcon />}>
          See plans
        </Button>
      </div>
    </div>
  );
}
