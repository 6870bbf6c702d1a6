"use client";

import "./globals.css";

/** Last-resort boundary when the root layout itself fails (e.g. the database is unreachable). */
export default function GlobalError({ retry }: { error: unknown; retry: () => void }) {
  return (
    <html lang="en">
      <body className="flex min-h-dvh items-center justify-center bg-slate-50 p-6">
        <main className="max-w-md text-center">
          <div role="alert">
            <h1 className="text-2xl font-bold text-slate-900">TicketZero License Portal is temporarily unavailable</h1>
            <p className="mt-3 text-slate-600">
              We couldn’t load the portal. Installations keep working from their signed certificates; please try again
              in a moment.
            </p>
          </div>
          <button
            type="button"
            onClick={() => retry()}
            className="mt-8 inline-flex h-10 items-center rounded-lg bg-brand-600 px-4 text-sm font-semibold text-white hover:bg-brand-700"
          >
            Try again
          </button>
        </main>
      </body>
    </html>
  );
}
