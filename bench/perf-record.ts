import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** V8 writes /tmp/perf-<pid>.map, so `perf report` names the worker's JIT-compiled functions. */
export const PERF_V8_FLAGS = ["--perf-basic-prof"] as const;

export interface PerfRecording {
  /** Ends every recording and waits until each file is written. */
  stop: () => Promise<void>;
}

/** Whether Linux `perf` is on the PATH; the bench refuses --perf without it, rather than record nothing. */
export const perfAvailable = () => spawnSync("perf", ["--version"], { stdio: "ignore" }).status === 0;

/**
 * Samples each named process with call stacks (`perf record -g`) into DIR/<name>.data while
 * the measured rounds run, so where a target's CPU goes can be read beside what it costs:
 * `perf report -i DIR/worker.data --no-children --sort dso,sym`.
 */
export async function recordPerf(processes: Record<string, number>, dir: string): Promise<PerfRecording> {
  mkdirSync(dir, { recursive: true });
  const recorders: ChildProcess[] = Object.entries(processes).map(([name, pid]) =>
    spawn("perf", ["record", "--quiet", "-F", "999", "-g", "-p", String(pid), "-o", join(dir, `${name}.data`)], { stdio: ["ignore", "ignore", "inherit"] }),
  );
  // perf needs a moment to attach; samples before that would be lost from the first batch.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    stop: () =>
      Promise.all(
        recorders.map(
          (recorder) =>
            new Promise<void>((resolve) => {
              if (recorder.exitCode !== null || recorder.signalCode !== null) return resolve();
              recorder.once("exit", () => resolve());
              // SIGINT is how perf record is told to finish: it writes its file and exits.
              recorder.kill("SIGINT");
            }),
        ),
      ).then(() => undefined),
  };
}
