// npm run bench:hostile: what hostile callers cost the worker, on bare workerd.
// 1. A flood of unauthenticated Spec 2 multipart bodies of many empty parts: CPU per refused
//    request (the worker's process tree, as the main bench measures it), and the p50 latency
//    of a normal caller beside 0, 1 and 4 flooding clients.
// 2. Memory: workerd's peak RSS for one request of MAX_BODY_BYTES, as a multiple of the body.
// 3. The capped heap: workerd with V8's heap capped at 128 MiB (Cloudflare's isolate limit)
//    serving 20 concurrent requests at the default MAX_BODY_BYTES must complete them all.
// --baseline REF measures the worker at a git ref beside the current one (flood and memory).
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { parseConfig } from "../worker/config.ts";
import { buildBundle, buildBundleAt, type Bundle } from "./build-bundle.ts";
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
/** The figure for a refused request within the limits. */
const MAX_REFUSED_CPU_MS = 20;
/** Refused requests per flood measurement, and normal calls per latency measurement. */
const FLOOD_REQUESTS = 40;
const NORMAL_CALLS = 60;

const { values: args } = parseArgs({ options: { baseline: { type: "string" }, rounds: { type: "string", default: "3" }, "capped-bytes": { type: "string" }, "capped-only": { type: "boolean" } } });
const rounds = Number(args.rounds);

/** One empty named part, as the fuzzer that found this sent them. */
const EMPTY_PART = '--b\r\ncontent-disposition: form-data; name="f"\r\n\r\n\r\n';
const emptyParts = (bytes: number) => EMPTY_PART.repeat(Math.floor((bytes - 5) / EMPTY_PART.length)) + "--b--";
const floodBody = emptyParts(DEFAULT_MAX_BODY_BYTES - 1024);
const normalForm = () => new URLSearchParams({ Message: JSON.stringify([{ role: "user", content: "hello" }]), Token: IMS_TOKEN, ExtendData: "{}" });

/** The flood: a body of many empty named parts without a token; or (drained) the same bytes to Spec 1 without a key, which is never parsed. */
async function refused(url: string, drained = false): Promise<number> {
  const path = drained ? "/v1/chat/completions" : "/";
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": drained ? "application/json" : "multipart/form-data; boundary=b" }, body: floodBody });
  await response.arrayBuffer();
  return response.status;
}

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

/** A normal caller's p50 while `flooders` clients send refused bodies back to back. */
async function normalP50(server: WorkerdServer, flooders: number): Promise<number> {
  let flooding = true;
  const floods = Array.from({ length: flooders }, async () => {
    while (flooding) await refused(server.url).catch(() => 0);
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const times: number[] = [];
  for (let i = 0; i < NORMAL_CALLS; i++) times.push(await normal(server.url));
  flooding = false;
  await Promise.all(floods);
  return p50(times);
}

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

/** Peak RSS growth of a fresh workerd serving one request of `bytes`, as a multiple of `bytes`. */
async function memoryMultiple(name: string, bundle: Bundle, bytes: number): Promise<number> {
  const server = await start(name, bundle, { MAX_BODY_BYTES: String(bytes + 1024) });
  try {
    const body = imageRequest(bytes);
    // A small request first, so the JIT and the connection are not counted as the body's.
    await spec1(server.url, imageRequest(4096));
    const before = peakRssBytes(server.pid);
    const status = await spec1(server.url, body);
    if (status !== 200) throw new Error(`${name}: a ${bytes}-byte request got ${status}`);
    return (peakRssBytes(server.pid) - before) / bytes;
  } finally {
    await server.stop();
  }
}

/** On the openai provider, as deployed: the request is re-serialised for the upstream, which costs its own copies. */
async function cappedRun(bundle: Bundle, bytes: number): Promise<string> {
  const mock = await startMockProcess(UPSTREAM_KEY);
  const upstream = { MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `http://127.0.0.1:${mock.port}/v1`, UPSTREAM_API_KEY: UPSTREAM_KEY, ALLOW_PRIVATE_UPSTREAM: "true" };
  const server = await start("capped", bundle, { ...upstream, MAX_BODY_BYTES: String(bytes) }, [`--max-old-space-size=${HEAP_CAP_MIB}`]).catch(async (error: unknown) => {
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

const targets: [string, Bundle][] = [["worker", buildBundle()]];
if (args.baseline) targets.push([`worker@${args.baseline}`, buildBundleAt(args.baseline)]);

console.log(`load before: ${loadavg().map((n) => n.toFixed(2)).join(" ")}; default MAX_BODY_BYTES ${DEFAULT_MAX_BODY_BYTES}; flood body ${floodBody.length} bytes of ${Math.floor(floodBody.length / EMPTY_PART.length)} empty parts`);
let failed = false;
if (!args["capped-only"]) {
  const servers = await Promise.all(targets.map(([name, bundle]) => start(name.replace(/\W/g, "-"), bundle)));
  const flood: Record<string, { cpuMs: number[]; drainedCpuMs: number[]; statuses: string; p50: Record<number, number[]> }> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, [name]] of targets.entries()) {
        const server = servers[i]!;
        const entry = (flood[name] ??= { cpuMs: [], drainedCpuMs: [], statuses: "", p50: { 0: [], 1: [], 4: [] } });
        const { cpuMs, statuses } = await refusedCpuMs(server);
        entry.cpuMs.push(cpuMs);
        entry.drainedCpuMs.push((await refusedCpuMs(server, true)).cpuMs);
        entry.statuses = statuses;
        for (const flooders of [0, 1, 4]) entry.p50[flooders]!.push(await normalP50(server, flooders));
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
  for (const [name, entry] of Object.entries(flood)) {
    const cpu = p50(entry.cpuMs);
    const [alone, one, four] = [0, 1, 4].map((n) => p50(entry.p50[n]!));
    console.log(`${name}: refused flood body: ${cpu.toFixed(2)} ms CPU per request (${entry.statuses}; the same bytes refused unread on Spec 1: ${p50(entry.drainedCpuMs).toFixed(2)} ms); normal caller p50 ${alone!.toFixed(1)} ms alone, ${one!.toFixed(1)} ms beside 1 flooder (${(one! / alone!).toFixed(2)}x), ${four!.toFixed(1)} ms beside 4 (${(four! / alone!).toFixed(2)}x)`);
    if (name === "worker" && (cpu > MAX_REFUSED_CPU_MS || one! > 2 * alone!)) failed = true;
  }
  for (const [name, bundle] of targets) {
    for (const bytes of [1 << 20, DEFAULT_MAX_BODY_BYTES]) {
      console.log(`${name}: peak RSS growth for one ${bytes}-byte Spec 1 request: ${(await memoryMultiple(name.replace(/\W/g, "-"), bundle, bytes)).toFixed(2)}x the body`);
    }
  }
}
for (const bytes of args["capped-bytes"]?.split(",").map(Number) ?? [DEFAULT_MAX_BODY_BYTES]) {
  const capped = await cappedRun(targets[0]![1], bytes);
  console.log(`capped heap (--max-old-space-size=${HEAP_CAP_MIB}), ${CAPPED_CONCURRENCY} concurrent requests of ${bytes} bytes: ${capped}`);
  if (bytes === DEFAULT_MAX_BODY_BYTES && !capped.startsWith(`${CAPPED_CONCURRENCY}/`)) failed = true;
}
console.log(`load after: ${loadavg().map((n) => n.toFixed(2)).join(" ")}`);
if (failed) process.exitCode = 1;
