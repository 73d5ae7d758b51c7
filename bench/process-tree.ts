import { readdirSync, readFileSync } from "node:fs";

/** Kernel clock ticks per second for /proc times; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat, 1-based as in proc(5); undefined once the process is gone. */
function statFields(pid: number): ((n: number) => number) | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses; field 3 starts after the last ")".
  const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  return (n) => Number(fields[n - 3]);
}

/** A process and all its descendants. */
function treePids(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    const ppid = Number.isInteger(pid) ? statFields(pid)?.(4) : undefined;
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const pids: number[] = [];
  for (const pending = [rootPid]; pending.length > 0; ) {
    const pid = pending.pop()!;
    pids.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return pids;
}

/** CPU seconds (user + system, reaped children included) used so far by a process tree. */
export function treeCpuSeconds(rootPid: number): number {
  let ticks = 0;
  for (const pid of treePids(rootPid)) {
    const field = statFields(pid);
    if (field) ticks += field(14) + field(15) + field(16) + field(17);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory of a process tree, in bytes. */
export function treeRssBytes(rootPid: number): number {
  let bytes = 0;
  for (const pid of treePids(rootPid)) {
    try {
      const line = readFileSync(`/proc/${pid}/status`, "utf8")
        .split("\n")
        .find((text) => text.startsWith("VmRSS:"));
      bytes += Number(line?.split(/\s+/)[1] ?? 0) * 1024;
    } catch {
      // The process ended between listing and reading; it holds no memory now.
    }
  }
  return bytes;
}
