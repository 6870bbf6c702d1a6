"use client";

import { useLinkStatus } from "next/link";
import { Spinner } from "./spinner";

/**
 * Inside a <Link>: a small spinner while the navigation it started is pending. The page keeps
 * showing until the next one is ready, instead of a route-wide loading.tsx, whose Suspense
 * fallback would also delay the first paint of every server-rendered load (React throttles the
 * reveal of streamed content), costing the Largest Contentful Paint.
 */
export function LinkPending() {
  const { pending } = useLinkStatus();
  return pending ? <Spinner size="sm" label={null} className="ml-2" /> : null;
}
