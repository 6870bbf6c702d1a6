/**
 * Keeps one driver fault from taking the service down. postgres.js can throw
 * from a timer after its socket is gone when the database link is cut
 * (`Cannot read properties of null (reading 'write')` in connection.js, an
 * open upstream bug): that error concerns a connection that is already dead,
 * and the pool replaces it, so it is logged and the process carries on. Any
 * other uncaught error ends the process, and the supervisor starts a new one.
 */
const DRIVER_FRAME = /node_modules[\\/]postgres[\\/]/;

export function isDriverFault(error: unknown): boolean {
  return error instanceof Error && DRIVER_FRAME.test(error.stack ?? "");
}

export function installProcessGuards(): void {
  process.on("uncaughtException", (error) => {
    if (isDriverFault(error)) {
      console.error("[db] driver fault on a dead connection (ignored):", error.message);
      return;
    }
    console.error("[fatal] uncaught exception:", error);
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    if (isDriverFault(reason)) {
      console.error("[db] driver rejection on a dead connection (ignored):", (reason as Error).message);
      return;
    }
    console.error("[error] unhandled rejection:", reason);
  });
}
