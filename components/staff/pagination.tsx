import { Button } from "@/components/ui/button";

export type PaginationProps = {
  page: number;
  pageCount: number;
  /** Builds the href of a page (keeps the current filters). */
  hrefFor: (page: number) => string;
  label?: string;
};

/** Previous / next links with "Page n of m". */
export function Pagination({ page, pageCount, hrefFor, label = "Pagination" }: PaginationProps) {
  if (pageCount <= 1) return null;
  return (
    <nav aria-label={label} className="flex items-center justify-between gap-3 pt-4">
      {page > 1 ? (
        <Button href={hrefFor(page - 1)} variant="secondary" size="sm" rel="prev">
          ← Previous
        </Button>
      ) : (
        <span />
      )}
      <p className="tabular text-sm text-slate-600" aria-current="page">
        Page {page} of {pageCount}
      </p>
      {page < pageCount ? (
        <Button href={hrefFor(page + 1)} variant="secondary" size="sm" rel="next">
          Next →
        </Button>
      ) : (
        <span />
      )}
    </nav>
  );
}
