// The benchmark, run small on every `npm test` so it never rots: it must start everything it
// needs, get a verified answer to every call on every target, and stop what it started.
// It asserts correctness only; times and CPU figures vary by machine and are not checked.
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "./support/paths.ts";

interface Outcome {
  code: number | null;
  output: string;
}

function bench(args: string[], env: NodeJS.ProcessEnv = process.env, script = "bench.ts"): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, "bench", script), ...args], { cwd: root, env, timeout: 150_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("bench --quick", () => {
  it("verifies every call on direct, the floor, the copy worker and both routes, and writes the report", { timeout: 180_000 }, async () => {
    const out = join(tmpdir(), `ims-bench-quick-${process.pid}.json`);
    try {
      const { code, output } = await bench(["--quick", "--out", out]);
      expect(code, output).toBe(0);
      const report = JSON.parse(readFileSync(out, "utf8")) as {
        summaries: { target: string; scenario: string; ok: number; total: number; cpuMsPerRequest: number | null }[];
        bundle: { minifiedGzipBytes: number };
        processes: Record<string, number>;
      };
      const targets = new Set(report.summaries.map((summary) => summary.target));
      expect([...targets].sort()).toEqual(["copy", "direct", "floor", "spec1", "spec2"]);
      for (const summary of report.summaries) {
        expect(summary.total, `${summary.scenario} ${summary.target}`).toBeGreaterThan(0);
        expect(summary.ok, `${summary.scenario} ${summary.target}`).toBe(summary.total);
      }
      expect(report.bundle.minifiedGzipBytes).toBeGreaterThan(0);
      expect(output).toContain("| scenario | target |");
      expect(Object.keys(report.processes).sort()).toEqual(["copy", "floor", "mock", "worker"]);
      for (const pid of Object.values(report.processes)) expect(processAlive(pid), `process ${pid} still running`).toBe(false);
    } finally {
      rmSync(out, { force: true });
    }
  });

  it("splits the first token's time of every call on every target (first-token-split --quick)", { timeout: 180_000 }, async () => {
    const { code, output } = await bench(["--quick"], process.env, "first-token-split.ts");
    expect(code, output).toBe(0);
    for (const target of ["direct", "floor", "copy", "spec1"]) {
      const row = new RegExp(`^\\| ${target} \\| 4/4 \\| ([\\d.]+) \\| \\S+ \\| (-?[\\d.]+) \\| \\S+ \\| (-?[\\d.]+) \\| \\S+ \\| (-?[\\d.]+) \\|$`, "m").exec(output);
      expect(row, output).not.toBeNull();
      const [ttft, wayIn, wayOut, upstreamWait] = row!.slice(1).map(Number) as [number, number, number, number];
      // The client's and the mock's clocks agree: the request reaches the mock after it was sent, and before the first token.
      expect(wayIn, target).toBeGreaterThan(0);
      expect(wayIn, target).toBeLessThan(ttft);
      // What the split leaves of each call is the mock's own wait: the quick profile's 20 ms (a Node timer may fire a
      // fraction of a millisecond early by performance.now()). Each part is under the whole, call by call, so the
      // medians are too.
      expect(upstreamWait, target).toBeGreaterThan(15);
      expect(upstreamWait, target).toBeLessThan(ttft);
      expect(wayOut, target).toBeLessThan(ttft);
    }
  });

  // Starting node on the bench script alone (its imports, wrangler's among them) took over 20 s at load 16 on 2 cores.
  it("refuses --perf with a clear message when Linux perf is not installed, before starting anything", { timeout: 90_000 }, async () => {
    const { code, output } = await bench(["--quick", "--perf", join(tmpdir(), "ims-bench-perf")], { ...process.env, PATH: "/nonexistent" });
    expect(code).toBe(2);
    expect(output).toContain("--perf needs Linux perf on the PATH");
  });

  it("holds a hundred concurrent streams through the worker, bare and self-hosted, and reports its JS heap and memory", { timeout: 180_000 }, async () => {
    const out = join(tmpdir(), `ims-bench-load-${process.pid}.json`);
    try {
      const { code, output } = await bench(["--load", "--quick", "--out", out]);
      expect(code, output).toBe(0);
      const report = JSON.parse(readFileSync(out, "utf8")) as {
        runs: { target: string; restRss: number; restHeap?: { usedSize: number }; passes: { ok: number; streams: number; heap?: { usedSize: number }; runtimeCpuMsPerStream?: number }[] }[];
        processes: Record<string, number>;
      };
      expect(report.runs.map((run) => run.target)).toEqual(["floor", "spec1", "selfhost"]);
      for (const run of report.runs) {
        expect(run.restRss).toBeGreaterThan(0);
        // On bare workerd the JS heap is read from the worker's isolate over the inspector; its size is not judged here.
        // The self-hosted server opens no inspector; its workerd's CPU is reported apart from its front's.
        const selfHosted = run.target === "selfhost";
        expect(run.restHeap?.usedSize ?? 0).toSatisfy((used: number) => (selfHosted ? used === 0 : used > 0));
        for (const pass of run.passes) {
          expect(pass.ok).toBe(pass.streams);
          expect(pass.heap?.usedSize ?? 0).toSatisfy((used: number) => (selfHosted ? used === 0 : used > 0));
          expect(pass.runtimeCpuMsPerStream !== undefined).toBe(selfHosted);
        }
      }
      for (const pid of Object.values(report.processes)) expect(processAlive(pid), `process ${pid} still running`).toBe(false);
    } finally {
      rmSync(out, { force: true });
    }
  });
});
