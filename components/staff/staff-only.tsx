import { Button } from "@/components/ui/button";
import { LockIcon } from "@/components/ui/icons";

/** The 403 page of the back office. */
export function StaffOnly({ email }: { email: string | null }) {
  return (
    <section
      aria-labelledby="staff-only-title"
      className="mx-auto flex max-w-xl flex-col items-center rounded-2xl bg-white px-6 py-14 text-center shadow-card ring-1 ring-slate-200"
    >
      <span className="flex size-12 items-center justify-center rounded-full bg-amber-50 text-xl text-amber-700 ring-1 ring-amber-200">
        <LockIcon />
      </span>
      <p className="mt-5 font-mono text-xs font-semibold tracking-widest text-slate-500">403 · FORBIDDEN</p>
      <h1 id="staff-only-title" className="mt-2 text-2xl font-bold">
        Staff only
      </h1>
      <p className="mt-3 max-w-md text-slate-600">
        The back office is for TicketZero staff.{" "}
        {email ? (
          <>
            You’re signed in as <span className="font-medium text-slate-800">{email}</span>, which is not a staff
            account.
          </>
        ) : (
          "This account is not a staff account."
        )}
      </p>
      <div className="mt-8 flex flex-col gap-3 sm:flex-row">
        <Button href="/admin">Go to your Admin Panel</Button>
        <Button href="/" variant="secondary">
          Home
        </Button>
      </div>
    </section>
  );
}
