import { deactivate } from "@ticketzero/core/http/installation-api";
import { nextRoute } from "@/lib/next/route-adapter";

// Installations are answered by the fast server (lib/http/fast-server.ts); this serves browser sessions.
export const dynamic = "force-dynamic";
export const POST = nextRoute(deactivate);
