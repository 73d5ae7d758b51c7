// node bench/request-calls.ts [--rounds N] [--requests N] [--chunks C] [REF ...]: microseconds of workerd CPU
// per Spec 1 request, for the worker as it is and at each git REF, beside the copy worker's loop,
// each on its own workerd, interleaved round after round (the first round is warm-up), median
// of the rest. The requests run inside the isolate against a stand-in upstream
// (bench/experiments/request-calls.ts), so there is no network, client or mock in the figure:
// it prices the per-request path far more precisely than `npm run bench -- --chunks`, whose
// rounds move by 5-10% on a shared machine. With --perf DIR each target's workerd is sampled
// through the measured rounds into DIR/<target>.data, its harness module copied beside it.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundleWorker, projectRoot as root } from "../selfhost/bundle-worker.ts";
import { PERF_V8_FLAGS, recordPerf, type PerfRecording } from "./perf-record.ts";
import { treeCpuSeconds } from "./process-tree.ts";
import { startWorkerd, type WorkerdServer } from "./workerd-server.ts";

const { values: flags, positionals: refs } = parseArgs({ options: { rounds: { type: "string" }, requests: { type: "string" }, chunks: { type: "string" }, perf: { type: "string" } }, allowPositionals: true });
const rounds = Number(flags.rounds ?? 8);
const requests = Number(flags.requests ?? 2000);
/** Text chunks per reply: 2 prices the per-request path; more, with 2 beside it, the per-chunk work. */
const chunks = Number(flags.chunks ?? 2);
const into = join(root, ".build", "request-calls");
const harness = join(import.meta.dirname, "experiments", "request-calls.ts");
rmSync(into, { recursive: true, force: true });
mkdirSync(into, { recursive: true });

/** Bundles the worker at `ref` (undefined: the working tree) as `wrangler deploy` would. */
function workerAt(name: string, ref: string | undefined) {
  if (ref === undefined) return bundleWorker(join(into, name, "worker"));
  const source = join(into, name, "src");
  mkdirSync(source, { recursive: true });
  execFileSync("tar", ["-x", "-C", source], { input: execFileSync("git", ["archive", "--format=tar", ref], { cwd: root, maxBuffer: 64 * 1024 * 1024 }) });
  return bundleWorker(join(into, name, "worker"), source);
}

/** The harness around one worker module (or the copy loop), as one ES module for workerd. */
function harnessModule(name: string, workerModule: string | undefined): string {
  const entry = join(into, name, "entry.ts");
  const body = workerModule
    ? `import worker from ${JSON.stringify(workerModule)};\nimport { harness } from ${JSON.stringify(harness)};\nexport default harness(worker);\n`
    : `import { copyWorker, harness } from ${JSON.stringify(harness)};\nexport default harness(copyWorker);\n`;
  mkdirSync(join(into, name), { recursive: true });
  writeFileSync(entry, body);
  const outfile = join(into, name, "harness.js");
  execFileSync(join(root, "node_modules", ".bin", "esbuild"), [entry, "--bundle", "--format=esm", `--outfile=${outfile}`, "--log-level=warning"]);
  return outfile;
}

const current = workerAt("current", undefined);
const targets: { name: string; module: string; file: string }[] = [
  { name: "copy", module: harnessModule("copy", undefined), file: "copy" },
  { name: "worker", module: harnessModule("current", current.modulePath), file: "worker" },
  ...refs.map((ref, i) => ({ name: `worker@${ref}`, module: harnessModule(`ref${i}`, workerAt(`ref${i}`, ref).modulePath), file: `ref${i}` })),
];
const servers: WorkerdServer[] = [];
const cpu: Record<string, number[]> = {};
try {
  for (const target of targets) {
    const v8Flags = flags.perf ? PERF_V8_FLAGS : [];
    servers.push(await startWorkerd(target.name, { modulePath: target.module, compatibilityDate: current.compatibilityDate, compatibilityFlags: current.compatibilityFlags, vars: {}, v8Flags }));
  }
  let recording: PerfRecording | undefined;
  for (let round = 0; round < rounds; round++) {
    if (round === 1 && flags.perf) recording = await recordPerf(Object.fromEntries(targets.map((target, i) => [target.file, servers[i]!.pid])), flags.perf);
    for (const [i, target] of targets.entries()) {
      const server = servers[i]!;
      const before = treeCpuSeconds(server.pid);
      const response = await fetch(`${server.url}/run?n=${requests}&chunks=${chunks}`);
      const text = await response.text();
      if (!response.ok) throw new Error(`${target.name}: ${response.status} ${text}`);
      if (round > 0) (cpu[target.name] ??= []).push(treeCpuSeconds(server.pid) - before);
    }
  }
  await recording?.stop();
  if (flags.perf) for (const target of targets) copyFileSync(target.module, join(flags.perf, `${target.file}.js`));
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const perRequestUs = (name: string) => (median(cpu[name]!) / requests) * 1e6;
// Each round's figure over the same round's figure for `of`: the machine's load moves both alike.
const paired = (name: string, of: string) => median(cpu[name]!.map((seconds, round) => seconds / cpu[of]![round]!)).toFixed(3);
const copyUs = perRequestUs("copy");
console.log(`${requests} requests of ${chunks} chunks per round, ${rounds - 1} rounds measured (medians; "paired" is the median of each round's ratio)\n`);
console.log("| target | µs CPU per request | over copy | x copy | x copy, paired | x worker, paired | rounds, ms |\n|---|---|---|---|---|---|---|");
for (const { name } of targets) {
  const us = perRequestUs(name);
  const copy = name === "copy";
  const columns = [name, us.toFixed(0), copy ? "-" : (us - copyUs).toFixed(0), copy ? "-" : (us / copyUs).toFixed(2), copy ? "-" : paired(name, "copy"), copy || name === "worker" ? "-" : paired(name, "worker")];
  console.log(`| ${columns.join(" | ")} | ${cpu[name]!.map((s) => (s * 1000).toFixed(0)).join(" ")} |`);
}
