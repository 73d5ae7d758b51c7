import { join } from "node:path";
import { connectHeapInspector, type HeapUsage } from "./heap-inspector.ts";
import { callMany, type CallSpec, type Wire } from "./stream-client.ts";
import { treeCpuSeconds, treeRssBytes } from "./process-tree.ts";
import { profileMessage, type StreamProfile } from "./stream-profile.ts";

/** A voice reply's pacing, so a thousand streams are all open at once for over a second. */
const PROFILE: StreamProfile = { chunks: 50, size: 12, firstMs: 200, gapMs: 20 };
const STREAMS = 1_000;
/** Passes of the thousand streams: state kept per stream would add up pass after pass. */
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
/** Idle time after a pass before memory is read, for workerd to close sockets and finish the streams' teardown. */
const SETTLE_MS = 5_000;
/** The quick run checks the harness, not memory, so it waits less. */
const QUICK_SETTLE_MS = 500;
const SAMPLE_EVERY_MS = 50;
/**
 * How far the collected heap may sit above its rest figure after a pass and still count as back: 1,000 streams that
 * each kept one 256-byte object (a promise and its closure) would pass it; code the JIT compiles once for the hot path
 * under load (about 75 KiB in heap snapshots) stays well under it.
 */
const HEAP_MARGIN_BYTES = 256 * 1024;

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const signedKib = (bytes: number) => `${bytes < 0 ? "-" : "+"}${(Math.abs(bytes) / 1024).toFixed(0)} KiB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LoadTarget {
  name: string;
  url: string;
  wire: Wire;
  credential: string;
  /** The process serving the target (workerd, or the self-hosted server with workerd under it). */
  pid: number;
  /** The workerd under a self-hosted server's front, whose CPU is also reported alone. */
  runtimePid?: number;
  /** Its worker's devtools WebSocket, from which the JS heap is read; the self-hosted server opens none. */
  inspectorUrl: string | undefined;
  /** A cheap GET the worker answers, to let a queued collection run. */
  healthUrl: string;
  expectedText: (profile: StreamProfile) => string;
}

export interface LoadPass {
  ok: number;
  streams: number;
  wallMs: number;
  ttftP50: number;
  ttftMax: number;
  cpuMsPerStream: number;
  /** Of cpuMsPerStream, what workerd itself used (self-hosted); the rest is the front's. */
  runtimeCpuMsPerStream: number | undefined;
  peakRss: number;
  settledRss: number;
  /** The worker's JS heap after a forced collection, once the pass has settled; undefined without an inspector. */
  heap: HeapUsage | undefined;
  errors: string[];
}

export interface LoadResult {
  target: string;
  restRss: number;
  /** The worker's JS heap after a forced collection, before the first pass; undefined without an inspector. */
  restHeap: HeapUsage | undefined;
  heapMarginBytes: number;
  /** Every stream of every pass complete, and the collected heap (where read) back within the margin after each pass. */
  pass: boolean;
  passes: LoadPass[];
}

/**
 * Holds a thousand streams open at once through one workerd and follows its memory: the worker's JS heap after a
 * forced collection (judged) and the process tree's RSS (reported). With `snapshotDir`, a heap snapshot is written at
 * each heap reading, to see what the heap holds.
 */
export async function loadRun(target: LoadTarget, quick: boolean, snapshotDir?: string): Promise<LoadResult> {
  const streams = quick ? STREAMS / 10 : STREAMS;
  const settleMs = quick ? QUICK_SETTLE_MS : SETTLE_MS;
  const spec = { url: target.url, wire: target.wire, credential: target.credential, prompt: profileMessage(PROFILE), expectedText: target.expectedText(PROFILE), timeoutMs: 60_000 };
  await callMany(quick ? 10 : 50, 10, () => spec);
  await sleep(settleMs);
  const passes = quick ? 1 : PASSES;
  if (!target.inspectorUrl) return measuredPasses(target, spec, streams, settleMs, passes, async () => undefined);
  const inspector = await connectHeapInspector(target.inspectorUrl, async () => void (await (await fetch(target.healthUrl)).arrayBuffer()));
  try {
    const readHeap = async (label: string) => {
      const usage = await inspector.collectedHeap();
      if (snapshotDir) await inspector.writeSnapshot(join(snapshotDir, `${target.name}-${label}.heapsnapshot`));
      return usage;
    };
    return await measuredPasses(target, spec, streams, settleMs, passes, readHeap);
  } finally {
    inspector.close();
  }
}

async function measuredPasses(target: LoadTarget, spec: CallSpec, streams: number, settleMs: number, passCount: number, collectedHeap: (label: string) => Promise<HeapUsage | undefined>): Promise<LoadResult> {
  const restHeap = await collectedHeap("rest");
  const restRss = treeRssBytes(target.pid);
  console.log(
    `\n${target.name}: ${streams} concurrent streams (${PROFILE.chunks} chunks, first after ${PROFILE.firstMs} ms, then every ${PROFILE.gapMs} ms); ` +
      `at rest: ${restHeap ? `JS heap after GC ${kib(restHeap.usedSize)} used of ${kib(restHeap.totalSize)}, ` : ""}RSS ${mib(restRss)}`,
  );
  const passes: LoadPass[] = [];
  for (let pass = 1; pass <= passCount; pass++) {
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRssBytes(target.pid))), SAMPLE_EVERY_MS);
    const cpuBefore = treeCpuSeconds(target.pid);
    const runtimeCpuBefore = target.runtimePid === undefined ? 0 : treeCpuSeconds(target.runtimePid);
    const started = performance.now();
    const results = await callMany(streams, streams, () => spec);
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const cpuMsPerStream = ((treeCpuSeconds(target.pid) - cpuBefore) * 1000) / streams;
    const runtimeCpuMsPerStream = target.runtimePid === undefined ? undefined : ((treeCpuSeconds(target.runtimePid) - runtimeCpuBefore) * 1000) / streams;
    await sleep(settleMs);
    const settledRss = treeRssBytes(target.pid);
    const heap = await collectedHeap(`pass${pass}`);
    const ttfts = results.filter((result) => result.ok).map((result) => result.ttftMs).sort((a, b) => a - b);
    const errors = [...new Set(results.flatMap((result) => (result.error ? [result.error] : [])))].slice(0, 3);
    const ok = ttfts.length;
    passes.push({ ok, streams, wallMs, ttftP50: ttfts[Math.floor(ttfts.length / 2)] ?? Number.NaN, ttftMax: ttfts.at(-1) ?? Number.NaN, cpuMsPerStream, runtimeCpuMsPerStream, peakRss, settledRss, heap, errors });
    console.log(
      `  pass ${pass}: ${ok}/${streams} complete and verified in ${(wallMs / 1000).toFixed(2)} s; TTFT p50 ${ttfts[Math.floor(ttfts.length / 2)]?.toFixed(0)} ms, max ${ttfts.at(-1)?.toFixed(0)} ms; ` +
        `CPU ${cpuMsPerStream.toFixed(2)} ms/stream${runtimeCpuMsPerStream === undefined ? "" : ` (workerd ${runtimeCpuMsPerStream.toFixed(2)}, front ${(cpuMsPerStream - runtimeCpuMsPerStream).toFixed(2)})`}; ` +
        `RSS peak ${mib(peakRss)}, ${settleMs / 1000} s later ${mib(settledRss)}` +
        (heap && restHeap ? `; JS heap after GC ${kib(heap.usedSize)} (${signedKib(heap.usedSize - restHeap.usedSize)} on rest)` : "") +
        (errors.length ? `\n  failures: ${errors.join("; ")}` : ""),
    );
  }
  const complete = passes.every((pass) => pass.ok === pass.streams);
  const heapBack = passes.every((pass) => !pass.heap || !restHeap || pass.heap.usedSize - restHeap.usedSize <= HEAP_MARGIN_BYTES);
  console.log(
    `  ${complete && heapBack ? "PASS" : "FAIL"}: ${complete ? "every stream complete" : "streams failed"}; ` +
      (restHeap ? `JS heap after GC ${heapBack ? "back within" : "NOT back within"} ${HEAP_MARGIN_BYTES / 1024} KiB of rest after every pass` : "JS heap not read (no inspector)"),
  );
  return { target: target.name, restRss, restHeap, heapMarginBytes: HEAP_MARGIN_BYTES, pass: complete && heapBack, passes };
}
