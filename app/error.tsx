"use client";

import { type ErrorBoundaryProps, ErrorState } from "@/components/ui/error-state";

export default function ErrorPage(props: ErrorBoundaryProps) {
  return (
    <ErrorState
      {...props}
      title="Something went wrong"
      message="We couldn’t load this page. It’s usually temporary: try again in a moment. Your licenses and installations are not affected."
      back={{ href: "/", label: "Go to the homepage" }}
    />
  );
}
