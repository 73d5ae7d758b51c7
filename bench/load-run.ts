import { callMany, type Wire } from "./stream-client.ts";
import { treeCpuSeconds, treeRssBytes } from "./process-tree.ts";
import { profileMessage, type StreamProfile } from "./stream-profile.ts";

/** A voice reply's pacing, so a thousand streams are all open at once for over a second. */
const PROFILE: StreamProfile = { chunks: 50, size: 12, firstMs: 200, gapMs: 20 };
const STREAMS = 1_000;
/** Passes of the thousand streams: memory that stops growing after the first passes is a warm heap, not a leak. */
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
/** Idle time after a pass before memory is read, for workerd to free sockets and collect garbage. */
const SETTLE_MS = 5_000;
/** The quick run checks the harness, not memory, so it waits less. */
const QUICK_SETTLE_MS = 500;
const SAMPLE_EVERY_MS = 50;

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LoadTarget {
  name: string;
  url: string;
  wire: Wire;
  credential: string;
  /** The workerd serving the target. */
  pid: number;
  expectedText: (profile: StreamProfile) => string;
}

export interface LoadPass {
  ok: number;
  streams: number;
  wallMs: number;
  ttftP50: number;
  ttftMax: number;
  cpuMsPerStream: number;
  peakRss: number;
  settledRss: number;
  errors: string[];
}

export interface LoadResult {
  target: string;
  restRss: number;
  passes: LoadPass[];
}

/** Holds a thousand streams open at once through one workerd and follows its memory. */
export async function loadRun(target: LoadTarget, quick: boolean): Promise<LoadResult> {
  const streams = quick ? STREAMS / 10 : STREAMS;
  const settleMs = quick ? QUICK_SETTLE_MS : SETTLE_MS;
  const spec = { url: target.url, wire: target.wire, credential: target.credential, prompt: profileMessage(PROFILE), expectedText: target.expectedText(PROFILE), timeoutMs: 60_000 };
  await callMany(quick ? 10 : 50, 10, () => spec);
  await sleep(settleMs);
  const restRss = treeRssBytes(target.pid);
  console.log(`\n${target.name}: ${streams} concurrent streams (${PROFILE.chunks} chunks, first after ${PROFILE.firstMs} ms, then every ${PROFILE.gapMs} ms); workerd RSS at rest ${mib(restRss)}`);
  const passes: LoadPass[] = [];
  for (let pass = 1; pass <= (quick ? 1 : PASSES); pass++) {
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRssBytes(target.pid))), SAMPLE_EVERY_MS);
    const cpuBefore = treeCpuSeconds(target.pid);
    const started = performance.now();
    const results = await callMany(streams, streams, () => spec);
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const cpuMsPerStream = ((treeCpuSeconds(target.pid) - cpuBefore) * 1000) / streams;
    await sleep(settleMs);
    const settledRss = treeRssBytes(target.pid);
    const ttfts = results.filter((result) => result.ok).map((result) => result.ttftMs).sort((a, b) => a - b);
    const errors = [...new Set(results.flatMap((result) => (result.error ? [result.error] : [])))].slice(0, 3);
    const ok = ttfts.length;
    passes.push({ ok, streams, wallMs, ttftP50: ttfts[Math.floor(ttfts.length / 2)] ?? Number.NaN, ttftMax: ttfts.at(-1) ?? Number.NaN, cpuMsPerStream, peakRss, settledRss, errors });
    console.log(
      `  pass ${pass}: ${ok}/${streams} complete and verified in ${(wallMs / 1000).toFixed(2)} s; TTFT p50 ${ttfts[Math.floor(ttfts.length / 2)]?.toFixed(0)} ms, max ${ttfts.at(-1)?.toFixed(0)} ms; ` +
        `CPU ${cpuMsPerStream.toFixed(2)} ms/stream; RSS peak ${mib(peakRss)}, ${settleMs / 1000} s later ${mib(settledRss)}` +
        (errors.length ? `\n  failures: ${errors.join("; ")}` : ""),
    );
  }
  return { target: target.name, restRss, passes };
}
