/** Linux /proc readings shared by the memory benchmark and the embedded-database tests. */
import { readdirSync, readFileSync } from "node:fs";

/** The processes whose parent is `pid` (e.g. a postmaster's backends and helpers). */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) found.push(Number(entry));
    } catch {}
  }
  return found;
}

/** PSS in kB, 0 for a process that is gone. */
export function pssKb(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** POST a JSON body, read a JSON answer (30 s timeout). */
export async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/**
 * The launcher's memory on the embedded database, as PSS in kB: its supervisor and app process,
 * the postmaster (its pid in DATA_DIR/postgres.json) and the postmaster's backends and helpers.
 */
export function launcherMemory(supervisorPid: number, dataDir: string) {
  const postmaster = (JSON.parse(readFileSync(`${dataDir}/postgres.json`, "utf8")) as { pid: number }).pid;
  const backends = childrenOf(postmaster);
  // The launcher is a supervisor plus its app process (node:cluster); the postmaster is its child too.
  const appPids = [supervisorPid, ...childrenOf(supervisorPid).filter((pid) => pid !== postmaster)];
  const appKb = appPids.map(pssKb).reduce((a, b) => a + b, 0);
  const postmasterKb = pssKb(postmaster);
  const backendsKb = backends.map(pssKb).reduce((a, b) => a + b, 0);
  return { appPids, appKb, postmaster, postmasterKb, backends, backendsKb, totalKb: appKb + postmasterKb + backendsKb };
}
