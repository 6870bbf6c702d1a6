"use client";

import { type ErrorBoundaryProps, ErrorState } from "@/components/ui/error-state";

export default function StaffError(props: ErrorBoundaryProps) {
  return (
    <ErrorState
      {...props}
      framed
      title="This back-office page didn’t load"
      message="Nothing was changed. This is usually temporary (the database may be restarting); try again in a moment."
      back={{ href: "/staff", label: "Back to the overview" }}
    />
  );
}
