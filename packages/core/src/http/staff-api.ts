/**
 * The staff API (docs/VENDOR-API.md): what the back office does, for the
 * vendor's other systems, authenticated by staff API tokens. Each operation is
 * a thin shell around the same core function the back-office pages and the
 * CLI call.
 */
import type { Operation } from "./operations";

export const STAFF_OPERATIONS: Operation[] = [];
