// npm run bench: the worker's cost over the model's own, measured on bare workerd.
// Flags: --quick (CI: small counts, fails only on wrong answers), --load (1,000 concurrent
// streams through bare workerd and through the self-hosted server; fails unless every stream
// completes and the JS heap after GC returns to its rest figure; RSS is reported beside it; with --heap-snapshots DIR it also writes a heap snapshot
// at each reading), --rounds N, --out FILE, --scenario TEXT (only scenarios whose name
// holds it), --baseline REF (the worker at a git ref measured beside the current one, as
// spec1@REF and spec2@REF), --experiment a,b,c (variants of bench/experiments/stream-variants.ts
// in place of the worker, or beside it when --targets names it), --provider NAME (default openai; demo measures the worker's own
// framing with no upstream), --perf DIR (Linux perf samples the worker, the floor and the copy
// through the measured rounds, with V8's perf maps, into DIR/<name>.data), --chunks N,M (each
// scenario once per chunk count, so a per-request cost and a per-chunk cost can be told apart),
// --targets a,b (only these targets beside direct, e.g. spec1,copy: a worker's profile then
// holds one route alone), --with NAME=VALUE,... (the same worker with these settings on top,
// measured beside it as spec1+with and spec2+with), --hedge (the hedging scenario of
// bench/hedge-run.ts in place of the rest: two MODELS routes, with and without hedgeAfterMs,
// over a primary that is slow in one call of five), --selfhost (Spec 1 also through the self-hosted
// server, its front and workerd, as selfhost, and with --baseline as selfhost@REF).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { buildServer } from "../selfhost/build-server.ts";
import { projectRoot as root } from "../selfhost/bundle-worker.ts";
import { startServer } from "../selfhost/start-server.ts";
import { demoReply } from "../worker/providers/demo.ts";
import { baselineSource, buildBundle, buildBundleAt, bundleBenchWorker } from "./build-bundle.ts";
import { formatTable } from "./format-table.ts";
import { hedgeRun, printHedgeReport } from "./hedge-run.ts";
import { loadRun } from "./load-run.ts";
import { startMockProcess } from "./mock-process.ts";
import { fullScenarios, quickScenarios } from "./scenarios.ts";
import { callMany, closeClient, type CallSpec, type Wire } from "./stream-client.ts";
import { profileMessage, replyText, type StreamProfile } from "./stream-profile.ts";
import { summarize, type Batch } from "./summarize.ts";
import { PERF_V8_FLAGS, perfAvailable, recordPerf } from "./perf-record.ts";
import { treeCpuSeconds } from "./process-tree.ts";
import { startWorkerd } from "./workerd-server.ts";

/** Credentials that exist only inside this run. */
const UPSTREAM_KEY = "bench-upstream-key";
const API_KEY = "bench-api-key";
const IMS_TOKEN = "bench-ims-token";
/** A stream that stalls this long is a failure, not a slow result. */
const CALL_TIMEOUT_MS = 30_000;
/** Unmeasured calls per target first, so JIT warm-up and first connections are not counted. */
const WARMUP_CALLS = 24;
/** Wait after a batch before reading CPU again, so the work it caused (GC, socket teardown) is counted with it. */
const SETTLE_MS = 100;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    load: { type: "boolean", default: false },
    rounds: { type: "string" },
    provider: { type: "string", default: "openai" },
    out: { type: "string" },
    experiment: { type: "string" },
    scenario: { type: "string" },
    baseline: { type: "string" },
    "heap-snapshots": { type: "string" },
    perf: { type: "string" },
    chunks: { type: "string" },
    targets: { type: "string" },
    with: { type: "string" },
    hedge: { type: "boolean", default: false },
    selfhost: { type: "boolean", default: false },
  },
});

interface Target {
  name: string;
  url: string;
  wire: Wire;
  credential: string;
  /** The workerd whose CPU is charged to this target; direct has none. */
  pid: number | undefined;
  expectedText: (profile: StreamProfile) => string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stops: (() => Promise<void>)[] = [];
const startedPids: Record<string, number> = {};
/** Every process this run started, by name, so a caller can check they are gone. */
const pids = () => ({ ...startedPids });
const stopAll = async () => {
  closeClient();
  await Promise.all(stops.splice(0).map((stop) => stop()));
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void stopAll().finally(() => process.exit(130)));
}

/**
 * The self-hosted server (`npm run serve`), built as the image holds it (from `source`, a git ref's
 * sources, if given), with `vars` as its environment.
 */
async function startSelfhost(vars: Record<string, string>, name = "selfhost", source?: string) {
  const dir = join(root, ".build", "bench", name);
  buildServer(dir, { source });
  const server = await startServer(vars, { dir });
  stops.push(async () => void (await server.stop()));
  startedPids[name] = server.child.pid!;
  return { url: server.url, load: { pid: server.child.pid!, runtimePid: server.runtimePid, inspectorUrl: undefined, healthUrl: `${server.url}/health` } };
}

function machine() {
  const workerd = execFileSync(join(root, "node_modules", ".bin", "workerd"), ["--version"], { encoding: "utf8" }).trim();
  return { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, workerd, loadavg: loadavg() };
}

async function runBatch(target: Target, scenario: { name: string; profile: StreamProfile; concurrency: number; requests: number }, round: number): Promise<Batch> {
  const prompt = profileMessage(scenario.profile);
  const spec: CallSpec = { url: target.url, wire: target.wire, credential: target.credential, prompt, expectedText: target.expectedText(scenario.profile), timeoutMs: CALL_TIMEOUT_MS };
  const cpuBefore = target.pid === undefined ? 0 : treeCpuSeconds(target.pid);
  const started = performance.now();
  const results = await callMany(scenario.requests, scenario.concurrency, () => spec);
  const wallMs = performance.now() - started;
  await sleep(SETTLE_MS);
  const cpuSeconds = target.pid === undefined ? undefined : treeCpuSeconds(target.pid) - cpuBefore;
  return { target: target.name, scenario: scenario.name, round, results, wallMs, cpuSeconds };
}

async function main(): Promise<number> {
  const startedAt = new Date();
  if (flags.perf && !perfAvailable()) {
    console.error("--perf needs Linux perf on the PATH (Debian: apt-get install linux-perf).");
    return 2;
  }
  if (flags.with?.split(",").some((pair) => pair.indexOf("=") <= 0)) {
    console.error("--with takes NAME=VALUE pairs, comma-separated.");
    return 2;
  }
  const v8Flags = flags.perf ? PERF_V8_FLAGS : [];
  const bundle = buildBundle();
  if (flags.hedge) {
    const rounds = Number(flags.rounds ?? (flags.quick ? 1 : 3));
    const hedging = await hedgeRun(bundle, { rounds, callsPerRound: flags.quick ? 10 : 100, concurrency: 8 }, stops);
    const out = flags.out ?? join(root, "bench", "results", `hedge-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ startedAt: startedAt.toISOString(), machine: { ...machine(), loadavgAfter: loadavg() }, rounds, ...hedging }, null, 2)}\n`);
    printHedgeReport(hedging);
    console.log(`\nJSON: ${out}`);
    const ok = Object.values(hedging.routes).every((route) => route.ok === route.total);
    // A quick run checks the harness (every answer right); a full run also holds the figures to their targets.
    return ok && (flags.quick || hedging.pass) ? 0 : 1;
  }
  const mock = await startMockProcess(UPSTREAM_KEY);
  stops.push(mock.stop);
  startedPids.mock = mock.pid;
  // The mock is on loopback, which a deployed worker refuses to call unless told it is local.
  // UPSTREAM_MODEL names the model for Spec 2, whose calls carry none (/health requires it); it is the one the client sends.
  const upstream = { UPSTREAM_BASE_URL: `http://127.0.0.1:${mock.port}/v1`, UPSTREAM_API_KEY: UPSTREAM_KEY, UPSTREAM_MODEL: "bench-model", ALLOW_PRIVATE_UPSTREAM: "true" };
  const workerVars = { ...bundle.vars, ...upstream, MODEL_PROVIDER: flags.provider, API_KEYS: API_KEY, IMS_TOKENS: IMS_TOKEN };
  const worker = await startWorkerd("worker", { ...bundle, vars: workerVars, inspector: flags.load, v8Flags });
  stops.push(worker.stop);
  startedPids.worker = worker.pid;
  const fromUpstream = (profile: StreamProfile) => replyText(profile);
  // The demo model answers without an upstream; measuring it checks the harness and the worker's own framing.
  const fromWorker = flags.provider === "demo" ? (profile: StreamProfile) => demoReply([{ role: "user", content: profileMessage(profile) }]) : fromUpstream;

  /** Serves one of the bench's own workers, bundled, on its own workerd, so its CPU is read alone. */
  const startReference = async (name: string, file: string) => {
    const module = join(root, ".build", "bench", name, "index.js");
    bundleBenchWorker(join(import.meta.dirname, file), module);
    const server = await startWorkerd(name, { ...bundle, modulePath: module, vars: upstream, inspector: flags.load, v8Flags });
    stops.push(server.stop);
    startedPids[name] = server.pid;
    return server;
  };
  const floor = await startReference("floor", "floor-worker.js");
  // The load run compares memory with the floor only; the copy worker is a CPU reference.
  const copy = flags.load ? undefined : await startReference("copy", "copy-worker.js");

  const targets: Target[] = [
    { name: "direct", url: `http://127.0.0.1:${mock.port}/v1/chat/completions`, wire: "openai-sse", credential: UPSTREAM_KEY, pid: undefined, expectedText: fromUpstream },
    { name: "floor", url: `${floor.url}/v1/chat/completions`, wire: "openai-sse", credential: "", pid: floor.pid, expectedText: fromUpstream },
    ...(copy ? [{ name: "copy", url: `${copy.url}/v1/chat/completions`, wire: "openai-sse" as const, credential: "", pid: copy.pid, expectedText: fromUpstream }] : []),
    { name: "spec1", url: `${worker.url}/v1/chat/completions`, wire: "openai-sse", credential: API_KEY, pid: worker.pid, expectedText: fromWorker },
    { name: "spec2", url: `${worker.url}/`, wire: "alibaba-form", credential: IMS_TOKEN, pid: worker.pid, expectedText: fromWorker },
  ];
  const byName = (name: string) => targets.find((target) => target.name === name)!;
  if (flags.load) {
    const runs = [];
    const snapshotDir = flags["heap-snapshots"];
    if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
    // The floor first: its memory under the same load is what workerd itself keeps.
    for (const [name, server] of [["floor", floor], ["spec1", worker]] as const) {
      const target = byName(name);
      runs.push(await loadRun({ ...target, pid: server.pid, inspectorUrl: server.inspectorUrl!, healthUrl: `${server.url}/health` }, flags.quick, snapshotDir));
    }
    // Then the same bundle as the self-hosted server runs it: its front and workerd, CPU of both.
    const selfhost = await startSelfhost(workerVars);
    runs.push(await loadRun({ ...byName("spec1"), name: "selfhost", url: `${selfhost.url}/v1/chat/completions`, ...selfhost.load }, flags.quick));
    const out = flags.out ?? join(root, "bench", "results", `load-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ startedAt: startedAt.toISOString(), machine: machine(), processes: pids(), runs }, null, 2)}\n`);
    console.log(`\nJSON: ${out}`);
    // The quick run checks the harness: it fails on a lost stream, never on memory figures.
    return runs.every((run) => (flags.quick ? run.passes.every((pass) => pass.ok === pass.streams) : run.pass)) ? 0 : 1;
  }

  if (flags.baseline) {
    const before = buildBundleAt(flags.baseline);
    const baseline = await startWorkerd("baseline", { ...before, vars: { ...before.vars, ...workerVars }, v8Flags });
    stops.push(baseline.stop);
    startedPids.baseline = baseline.pid;
    console.log(`baseline ${flags.baseline}: ${(before.size.minifiedGzipBytes / 1024).toFixed(1)} KiB minified+gzip`);
    targets.push(
      { ...byName("spec1"), name: `spec1@${flags.baseline}`, url: `${baseline.url}/v1/chat/completions`, pid: baseline.pid },
      { ...byName("spec2"), name: `spec2@${flags.baseline}`, url: `${baseline.url}/`, pid: baseline.pid },
    );
  }
  if (flags.selfhost) {
    // Spec 1 through the self-hosted server: its front and workerd, the CPU of both.
    const servers = [{ name: "selfhost", source: undefined as string | undefined }];
    if (flags.baseline) servers.push({ name: `selfhost@${flags.baseline}`, source: baselineSource });
    for (const { name, source } of servers) {
      const server = await startSelfhost(workerVars, name.replace(/[^\w-]/g, "_"), source);
      targets.push({ ...byName("spec1"), name, url: `${server.url}/v1/chat/completions`, pid: server.load.pid });
    }
  }
  if (flags.with) {
    const extra = Object.fromEntries(flags.with.split(",").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
    const variant = await startWorkerd("with", { ...bundle, vars: { ...workerVars, ...extra } });
    stops.push(variant.stop);
    startedPids.with = variant.pid;
    console.log(`with: ${flags.with}`);
    targets.push(
      { ...byName("spec1"), name: "spec1+with", url: `${variant.url}/v1/chat/completions`, pid: variant.pid },
      { ...byName("spec2"), name: "spec2+with", url: `${variant.url}/`, pid: variant.pid },
    );
  }
  if (flags.experiment) {
    const module = join(root, ".build", "bench", "experiment", "index.js");
    bundleBenchWorker(join(import.meta.dirname, "experiments", "stream-variants.ts"), module);
    const experiment = await startWorkerd("experiment", { ...bundle, modulePath: module, vars: upstream });
    stops.push(experiment.stop);
    startedPids.experiment = experiment.pid;
    // The variants take the worker's place (direct, the floor and the copy stay as yardsticks),
    // unless --targets names the worker's too, to measure them side by side.
    if (!flags.targets) targets.splice(targets.findIndex((target) => target.name === "spec1"));
    for (const variant of flags.experiment.split(",")) {
      targets.push({ name: variant, url: `${experiment.url}/${variant}/chat/completions`, wire: "openai-sse", credential: "", pid: experiment.pid, expectedText: fromUpstream });
    }
  }
  const kept = flags.targets?.split(",");
  if (kept) targets.splice(0, targets.length, ...targets.filter((target) => target.name === "direct" || kept.some((name) => target.name.startsWith(name))));
  const chosen = (flags.quick ? quickScenarios : fullScenarios).filter((scenario) => scenario.name.includes(flags.scenario ?? ""));
  const chunkCounts = flags.chunks?.split(",").map(Number);
  const scenarios = chunkCounts
    ? chosen.flatMap((scenario) => chunkCounts.map((chunks) => ({ ...scenario, name: `${scenario.name}, ${chunks} chunks`, profile: { ...scenario.profile, chunks } })))
    : chosen;
  const rounds = Number(flags.rounds ?? (flags.quick ? 1 : 3));
  const warmup = { name: "warm-up", profile: scenarios[0]!.profile, concurrency: 4, requests: flags.quick ? 4 : WARMUP_CALLS };
  for (const target of targets) await runBatch(target, warmup, 0);

  const machineBefore = machine();
  const batches: Batch[] = [];
  // Profiles only the measured rounds; the experiment process is left out, the baseline is in.
  const profiled = { worker: worker.pid, floor: floor.pid, ...(copy && { copy: copy.pid }), ...(startedPids.baseline && { baseline: startedPids.baseline }) };
  const recording = flags.perf ? await recordPerf(profiled, flags.perf) : undefined;
  if (recording) stops.unshift(recording.stop);
  // Interleaved: every round visits every scenario and target in turn, so a burst of load
  // from elsewhere on the machine lands on all targets rather than on one.
  for (let round = 1; round <= rounds; round++) {
    for (const scenario of scenarios) {
      for (const target of targets) batches.push(await runBatch(target, scenario, round));
    }
  }
  await recording?.stop();
  // The bundles beside their profiles: they name the minified functions (bench/perf-attribute.ts).
  if (flags.perf) {
    copyFileSync(bundle.modulePath, join(flags.perf, "worker.js"));
    if (flags.baseline) copyFileSync(join(root, ".build", "bench", "baseline", "worker", "index.js"), join(flags.perf, "baseline.js"));
  }
  const summaries = summarize(batches);
  const report = {
    startedAt: startedAt.toISOString(),
    mode: flags.quick ? "quick" : "full",
    perf: flags.perf ?? null,
    provider: flags.provider,
    rounds,
    machine: { ...machineBefore, loadavgAfter: loadavg() },
    bundle: bundle.size,
    startup: {
      worker: { listenMs: worker.listenMs, firstResponseMs: worker.firstResponseMs },
      floor: { listenMs: floor.listenMs, firstResponseMs: floor.firstResponseMs },
    },
    processes: pids(),
    scenarios,
    summaries,
  };
  const out = flags.out ?? join(root, "bench", "results", `bench-${report.mode}-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log(`\nims-llm-edge bench (${report.mode}, ${rounds} round${rounds === 1 ? "" : "s"} interleaved, provider ${flags.provider})`);
  console.log(`machine: ${machineBefore.cpu}, ${machineBefore.cores} cores, Node ${machineBefore.node}, workerd ${machineBefore.workerd}, load ${machineBefore.loadavg.map((n) => n.toFixed(2)).join(" ")}`);
  console.log(`bundle: ${kib(bundle.size.bytes)} as deployed; ${kib(bundle.size.minifiedBytes)} minified, ${kib(bundle.size.minifiedGzipBytes)} minified+gzip`);
  console.log(
    `startup (spawn to listening / to first answer): worker ${worker.listenMs.toFixed(0)} / ${worker.firstResponseMs.toFixed(0)} ms, floor ${floor.listenMs.toFixed(0)} / ${floor.firstResponseMs.toFixed(0)} ms`,
  );
  console.log(`CPU ms/req = CPU seconds per 1,000 requests of the target's workerd process tree; + columns are over direct.`);
  console.log(`floor = native passthrough; copy = JavaScript woken per upstream chunk, no parsing (x copy: what checking and re-framing add).\n`);
  console.log(formatTable(summaries));
  if (flags.perf) {
    console.log(`\nProfiles in ${flags.perf}/ (worker, floor, copy .data): perf report -i ${flags.perf}/worker.data --no-children --sort dso,sym`);
    console.log("CPU figures of a --perf run include the profiler's own cost: compare them only within the run.");
  }
  const failures = summaries.filter((summary) => summary.ok < summary.total);
  for (const failure of failures) console.log(`\nFAILED ${failure.scenario} / ${failure.target}: ${failure.errors.join("; ")}`);
  console.log(`\nJSON: ${out}`);
  return failures.length === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error);
} finally {
  await stopAll();
}
process.exit(code);
