// npm run bench:hostile: what hostile callers cost the worker, on bare workerd.
// 1. A flood of unauthenticated Spec 2 multipart bodies of many empty parts: CPU per refused
//    request (the worker's process tree, as the main bench measures it), and the p50 latency
//    of a normal caller beside 0, 1 and 4 flooding clients.
// 2. Memory: workerd's peak RSS growth per Spec 1 request (openai provider, several at once), as a
//    multiple of the body.
// 3. The capped heap: workerd with V8's heap capped at 128 MiB (Cloudflare's isolate limit)
//    serving 20 concurrent requests at the default MAX_BODY_BYTES must complete them all.
// --baseline REF measures the worker at a git ref beside the current one (flood and memory);
// --only flood|memory|capped runs one part; --capped-bytes a,b tries the capped run at other sizes.
// --pinned gives the flooders one core and the worker with its normal caller the other (taskset),
// as if the flood came from another machine: on one small machine they otherwise share the cores.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { parseConfig } from "../worker/config.ts";
import { buildBundle, buildBundleAt, type Bundle } from "./build-bundle.ts";
import { EMPTY_PART, floodBody as makeFloodBody, refused as refusedRequest } from "./flood-body.ts";
import { startMockProcess } from "./mock-process.ts";
import { treeCpuSeconds } from "./process-tree.ts";
import { startWorkerd, type WorkerdServer } from "./workerd-server.ts";

const API_KEY = "bench-api-key";
const UPSTREAM_KEY = "bench-upstream-key";
const IMS_TOKEN = "bench-ims-token";
/** The default MAX_BODY_BYTES, from the config the worker ships, so the run follows it. */
const DEFAULT_MAX_BODY_BYTES = parseConfig({}).limits.maxBodyBytes;
/** Cloudflare gives an isolate 128 MB; V8's old space is capped at that here. */
const HEAP_CAP_MIB = 128;
/** How many requests at the default body size run at once against the capped heap. */
const CAPPED_CONCURRENCY = 20;
/** The issue's figure for a refused request within the limits. */
const MAX_REFUSED_CPU_MS = 20;
/** Refused requests per flood measurement, and normal calls per latency measurement. */
const FLOOD_REQUESTS = 40;
const NORMAL_CALLS = 60;

const { values: args } = parseArgs({ options: { baseline: { type: "string" }, rounds: { type: "string", default: "3" }, "capped-bytes": { type: "string" }, only: { type: "string" }, pinned: { type: "boolean" } } });
/** --only flood|memory|capped runs one part of the three. */
const runs = (part: string) => args.only === undefined || args.only === part;
const rounds = Number(args.rounds);

const floodBody = makeFloodBody(DEFAULT_MAX_BODY_BYTES - 1024);
const normalForm = () => new URLSearchParams({ Message: JSON.stringify([{ role: "user", content: "hello" }]), Token: IMS_TOKEN, ExtendData: "{}" });
const refused = (url: string, drained = false) => refusedRequest(url, floodBody, drained);

async function normal(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/`, { method: "POST", body: normalForm() });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`a normal call got ${response.status}`);
  return performance.now() - started;
}

const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU ms per refused request, one at a time. */
async function refusedCpuMs(server: WorkerdServer, drained = false): Promise<{ cpuMs: number; statuses: string }> {
  const statuses = new Map<number, number>();
  const before = treeCpuSeconds(server.pid);
  for (let i = 0; i < FLOOD_REQUESTS; i++) {
    const status = await refused(server.url, drained);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { cpuMs: ((treeCpuSeconds(server.pid) - before) * 1000) / FLOOD_REQUESTS, statuses: [...statuses].map(([s, n]) => `${s}x${n}`).join(" ") };
}

/** Where the flooding clients run, and what they flood. */
interface Flood {
  flooders: number;
  /** In the bench's own process: how the bench measured before; its uploads stall the timing loop. */
  inBench?: boolean;
  /** To Spec 1 without a key: refused before reading, only drained. */
  drained?: boolean;
}

/** The flood process's own CPU per refused request, for every flood measured apart. */
const flooderCpuMs: number[] = [];

/** Starts the flooders in a process of their own and resolves once they send; stop() ends them. */
async function floodProcess(url: string, { flooders, drained }: Flood): Promise<{ stop: () => Promise<string> }> {
  const command = [process.execPath, join(import.meta.dirname, "flood-process.ts"), url, String(flooders), String(floodBody.length), drained ? "drained" : ""];
  const [file, ...rest] = args.pinned ? ["taskset", "-c", FLOOD_CPU, ...command] : command;
  const child = spawn(file!, rest, { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  if ((await lines.next()).value !== "flooding") throw new Error("the flood process did not start");
  return {
    stop: async () => {
      child.kill("SIGTERM");
      const { requests, statuses, cpuMsPerRequest } = JSON.parse((await lines.next()).value as string) as { requests: number; statuses: Record<string, number>; cpuMsPerRequest: number };
      flooderCpuMs.push(cpuMsPerRequest);
      return `${requests} refused (${Object.entries(statuses).map(([s, n]) => `${s}x${n}`).join(" ")})`;
    },
  };
}

/** A normal caller's p50 while `flooders` clients send refused bodies back to back. */
async function normalP50(server: WorkerdServer, flood: Flood): Promise<number> {
  let flooding = true;
  const inBench = Array.from({ length: flood.inBench ? flood.flooders : 0 }, async () => {
    while (flooding) await refused(server.url, flood.drained).catch(() => 0);
  });
  const apart = flood.inBench || flood.flooders === 0 ? undefined : await floodProcess(server.url, flood);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const times: number[] = [];
  for (let i = 0; i < NORMAL_CALLS; i++) times.push(await normal(server.url));
  flooding = false;
  await Promise.all(inBench);
  const tally = await apart?.stop();
  if (tally?.includes("reset")) console.log(`  ${flood.flooders} flooder(s)${flood.drained ? ", drained" : ""}: ${tally}`);
  return p50(times);
}

/** The floods each normal-caller p50 is measured beside; the first is none. */
const FLOODS: Record<string, Flood> = {
  alone: { flooders: 0 },
  "1 flooder": { flooders: 1 },
  "4 flooders": { flooders: 4 },
  "1 flooder, drained": { flooders: 1, drained: true },
  "4 flooders, drained": { flooders: 4, drained: true },
  "1 flooder in the bench's process": { flooders: 1, inBench: true },
  "4 flooders in the bench's process": { flooders: 4, inBench: true },
};

/** A Spec 1 multimodal request of about `bytes`: one base64 image, as IMS's MLLM node sends. */
function imageRequest(bytes: number): string {
  const shell = (data: string) => JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: `data:image/jpeg;base64,${data}` } }] }] });
  return shell("A".repeat(bytes - shell("").length));
}

async function spec1(url: string, body: string): Promise<number> {
  const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body });
  const text = await response.text();
  if (response.status === 200 && !text.endsWith("data: [DONE]\n\n")) return -1;
  return response.status;
}

/** The process's peak RSS; NaN once it is gone. */
const peakRssBytes = (pid: number) => {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
  } catch {
    return Number.NaN;
  }
};

const start = (name: string, bundle: Bundle, extra: Record<string, string> = {}, v8Flags: string[] = []) =>
  startWorkerd(name, { ...bundle, vars: { ...bundle.vars, API_KEYS: API_KEY, IMS_TOKENS: IMS_TOKEN, ...extra }, v8Flags });

/** Fresh workerd processes per memory figure, and requests at once in each: a single request's VmHWM growth is mostly the heap's own step sizes. */
const MEMORY_RUNS = 3;
const MEMORY_CONCURRENCY = 8;

/** The openai provider, as deployed, against the mock upstream at `port`. */
const openaiUpstream = (port: number) => ({ MODEL_PROVIDER: "openai", UPSTREAM_MODEL: "m", UPSTREAM_BASE_URL: `http://127.0.0.1:${port}/v1`, UPSTREAM_API_KEY: UPSTREAM_KEY, ALLOW_PRIVATE_UPSTREAM: "true" });

/**
 * Peak RSS growth of a fresh workerd serving MEMORY_CONCURRENCY Spec 1 requests of `bytes` at
 * once on the openai provider (so the request re-serialised for the upstream is counted), per
 * request, as a multiple of `bytes`: the median of MEMORY_RUNS processes.
 */
async function memoryMultiple(name: string, bundle: Bundle, bytes: number, port: number): Promise<number> {
  const body = imageRequest(bytes);
  const multiples: number[] = [];
  for (let run = 0; run < MEMORY_RUNS; run++) {
    const server = await start(name, bundle, { ...openaiUpstream(port), MAX_BODY_BYTES: String(bytes + 1024) });
    try {
      // A small request first, so the JIT and the connection are not counted as the body's.
      await spec1(server.url, imageRequest(4096));
      const before = peakRssBytes(server.pid);
      const statuses = await Promise.all(Array.from({ length: MEMORY_CONCURRENCY }, () => spec1(server.url, body)));
      if (statuses.some((status) => status !== 200)) throw new Error(`${name}: ${bytes}-byte requests got ${statuses.join(",")}`);
      multiples.push((peakRssBytes(server.pid) - before) / (MEMORY_CONCURRENCY * bytes));
    } finally {
      await server.stop();
    }
  }
  return p50(multiples);
}

/** On the openai provider, as deployed: the request is re-serialised for the upstream, which costs its own copies. */
async function cappedRun(bundle: Bundle, bytes: number): Promise<string> {
  const mock = await startMockProcess(UPSTREAM_KEY);
  const server = await start("capped", bundle, { ...openaiUpstream(mock.port), MAX_BODY_BYTES: String(bytes) }, [`--max-old-space-size=${HEAP_CAP_MIB}`]).catch(async (error: unknown) => {
    await mock.stop();
    throw error;
  });
  try {
    const body = imageRequest(bytes - 512);
    const statuses = await Promise.all(Array.from({ length: CAPPED_CONCURRENCY }, () => spec1(server.url, body).catch(() => 0)));
    const alive = await fetch(`${server.url}/health`).then((r) => r.status).catch(() => 0);
    const ok = statuses.filter((s) => s === 200).length;
    return `${ok}/${CAPPED_CONCURRENCY} completed (statuses ${[...new Set(statuses)].join(",")}), /health after: ${alive}, peak RSS ${(peakRssBytes(server.pid) / 2 ** 20).toFixed(0)} MiB`;
  } finally {
    await server.stop();
    await mock.stop();
  }
}

/** With --pinned: the cores of the flood, and of everything else (the workerds this process starts inherit it). */
const FLOOD_CPU = "1";
const OWN_CPU = "0";
if (args.pinned) execFileSync("taskset", ["-a", "-cp", OWN_CPU, String(process.pid)], { stdio: "ignore" });

const targets: [string, Bundle][] = [["worker", buildBundle()]];
if (args.baseline) targets.push([`worker@${args.baseline}`, buildBundleAt(args.baseline)]);
/** The flood's floor: the same runtime reading every body natively and doing nothing else. */
const floorModule = join(import.meta.dirname, "..", ".build", "bench", "refusing-floor", "index.js");
mkdirSync(dirname(floorModule), { recursive: true });
copyFileSync(join(import.meta.dirname, "refusing-floor-worker.js"), floorModule);
const floodTargets: [string, Bundle][] = [...targets, ["floor", { ...targets[0]![1], modulePath: floorModule }]];

console.log(`load before: ${loadavg().map((n) => n.toFixed(2)).join(" ")};${args.pinned ? ` flooders on cpu ${FLOOD_CPU}, workers and the normal caller on cpu ${OWN_CPU};` : ""} default MAX_BODY_BYTES ${DEFAULT_MAX_BODY_BYTES}; flood body ${floodBody.length} bytes of ${Math.floor(floodBody.length / EMPTY_PART.length)} empty parts`);
let failed = false;
if (runs("flood")) {
  const servers = await Promise.all(floodTargets.map(([name, bundle]) => start(name.replace(/\W/g, "-"), bundle)));
  const flood: Record<string, { cpuMs: number[]; drainedCpuMs: number[]; statuses: string; p50: Record<string, number[]> }> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, [name]] of floodTargets.entries()) {
        const server = servers[i]!;
        const entry = (flood[name] ??= { cpuMs: [], drainedCpuMs: [], statuses: "", p50: Object.fromEntries(Object.keys(FLOODS).map((name) => [name, []])) });
        const { cpuMs, statuses } = await refusedCpuMs(server);
        entry.cpuMs.push(cpuMs);
        entry.drainedCpuMs.push((await refusedCpuMs(server, true)).cpuMs);
        entry.statuses = statuses;
        for (const [floodName, flood] of Object.entries(FLOODS)) entry.p50[floodName]!.push(await normalP50(server, flood));
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
  for (const [name, entry] of Object.entries(flood)) {
    const cpu = p50(entry.cpuMs);
    const [alone, ...beside] = Object.keys(FLOODS).map((floodName) => p50(entry.p50[floodName]!));
    const ratios = Object.keys(FLOODS)
      .slice(1)
      .map((floodName, i) => `${floodName} ${beside[i]!.toFixed(1)} ms (${(beside[i]! / alone!).toFixed(2)}x, +${(beside[i]! - alone!).toFixed(1)} ms)`);
    console.log(`${name}: refused flood body: ${cpu.toFixed(2)} ms CPU per request (${entry.statuses}; the same bytes refused unread on Spec 1: ${p50(entry.drainedCpuMs).toFixed(2)} ms)`);
    console.log(`${name}: normal caller p50 ${alone!.toFixed(1)} ms alone; beside ${ratios.join("; ")}`);
    const one = beside[0]!;
    if (name === "worker" && (cpu > MAX_REFUSED_CPU_MS || one! > 2 * alone!)) failed = true;
  }
  console.log(`the flood process's own CPU per refused request (the client's share of the same 2 cores): ${p50(flooderCpuMs).toFixed(2)} ms, median`);
}
if (runs("memory")) {
  const mock = await startMockProcess(UPSTREAM_KEY);
  try {
    for (const bytes of [1 << 20, DEFAULT_MAX_BODY_BYTES]) {
      for (const [name, bundle] of targets) {
        const multiple = await memoryMultiple(name.replace(/\W/g, "-"), bundle, bytes, mock.port);
        console.log(`${name}: peak RSS growth per ${bytes}-byte Spec 1 request, ${MEMORY_CONCURRENCY} at once (openai provider; median of ${MEMORY_RUNS} processes): ${multiple.toFixed(2)}x the body`);
      }
    }
  } finally {
    await mock.stop();
  }
}
for (const bytes of runs("capped") ? (args["capped-bytes"]?.split(",").map(Number) ?? [DEFAULT_MAX_BODY_BYTES]) : []) {
  for (const [name, bundle] of targets) {
    const capped = await cappedRun(bundle, bytes);
    console.log(`${name}: capped heap (--max-old-space-size=${HEAP_CAP_MIB}), ${CAPPED_CONCURRENCY} concurrent requests of ${bytes} bytes: ${capped}`);
    if (name === "worker" && bytes === DEFAULT_MAX_BODY_BYTES && !capped.startsWith(`${CAPPED_CONCURRENCY}/`)) failed = true;
  }
}
console.log(`load after: ${loadavg().map((n) => n.toFixed(2)).join(" ")}`);
if (failed) process.exitCode = 1;
