"use client";

import { type ErrorBoundaryProps, ErrorState } from "@/components/ui/error-state";

export default function AdminError(props: ErrorBoundaryProps) {
  return (
    <ErrorState
      {...props}
      framed
      title="We couldn’t load your license"
      message="This is usually temporary. Your license and installations keep working; try again in a moment."
      back={{ href: "/admin", label: "Back to the overview" }}
    />
  );
}
