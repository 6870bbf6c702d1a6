import { deactivate } from "@/lib/http/installation-api";
import { nextRoute } from "@/lib/http/next-adapter";

// Installations are answered by the fast server (lib/http/fast-server.ts); this serves browser sessions.
export const dynamic = "force-dynamic";
export const POST = nextRoute(deactivate);
