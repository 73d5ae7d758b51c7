import { callMany } from "./stream-client.ts";
import { treeCpuSeconds, treeRssBytes } from "./process-tree.ts";
import { profileMessage, replyText, type StreamProfile } from "./stream-profile.ts";

/** A voice reply's pacing, so a thousand streams are all open at once for over a second. */
const PROFILE: StreamProfile = { chunks: 50, size: 12, firstMs: 200, gapMs: 20 };
const STREAMS = 1_000;
/** Passes of the thousand streams: memory after the second equal to after the first means nothing accumulates. */
const PASSES = 2;
/** Idle time after a pass before memory is read, for workerd to free sockets and collect garbage. */
const SETTLE_MS = 5_000;
const SAMPLE_EVERY_MS = 50;

const mib = (bytes: number) => bytes / (1024 * 1024);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LoadOptions {
  workerUrl: string;
  workerPid: number;
  apiKey: string;
  /** A tenth of the streams, for checking the harness itself. */
  quick: boolean;
}

/** Holds a thousand Spec 1 streams open at once through the bundled worker and follows workerd's memory. */
export async function loadRun(options: LoadOptions): Promise<{ ok: boolean }> {
  const streams = options.quick ? STREAMS / 10 : STREAMS;
  const spec = {
    url: `${options.workerUrl}/v1/chat/completions`,
    wire: "openai-sse" as const,
    credential: options.apiKey,
    prompt: profileMessage(PROFILE),
    expectedText: replyText(PROFILE),
    timeoutMs: 60_000,
  };
  await callMany(50, 10, () => spec);
  await sleep(SETTLE_MS);
  const baseline = treeRssBytes(options.workerPid);
  console.log(`\n${streams} concurrent Spec 1 streams (${PROFILE.chunks} chunks, first after ${PROFILE.firstMs} ms, then every ${PROFILE.gapMs} ms) through the bundled worker on workerd`);
  console.log(`workerd RSS at rest: ${mib(baseline).toFixed(1)} MiB`);
  let allOk = true;
  const afterPasses: number[] = [];
  for (let pass = 1; pass <= PASSES; pass++) {
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, treeRssBytes(options.workerPid))), SAMPLE_EVERY_MS);
    const cpuBefore = treeCpuSeconds(options.workerPid);
    const started = performance.now();
    const results = await callMany(streams, streams, () => spec);
    const wall = performance.now() - started;
    clearInterval(sampler);
    const cpuMs = ((treeCpuSeconds(options.workerPid) - cpuBefore) * 1000) / streams;
    await sleep(SETTLE_MS);
    const after = treeRssBytes(options.workerPid);
    afterPasses.push(after);
    const ok = results.filter((result) => result.ok).length;
    const ttfts = results.filter((result) => result.ok).map((result) => result.ttftMs).sort((a, b) => a - b);
    const errors = [...new Set(results.flatMap((result) => (result.error ? [result.error] : [])))].slice(0, 3);
    allOk &&= ok === streams;
    console.log(
      `pass ${pass}: ${ok}/${streams} complete and verified in ${(wall / 1000).toFixed(2)} s; TTFT p50 ${ttfts[Math.floor(ttfts.length / 2)]?.toFixed(0)} ms, max ${ttfts.at(-1)?.toFixed(0)} ms; ` +
        `CPU ${cpuMs.toFixed(2)} ms/stream; RSS peak ${mib(peak).toFixed(1)} MiB, ${SETTLE_MS / 1000} s after ${mib(after).toFixed(1)} MiB (${mib(after - baseline) >= 0 ? "+" : ""}${mib(after - baseline).toFixed(1)} MiB over rest)` +
        (errors.length ? `\n  failures: ${errors.join("; ")}` : ""),
    );
  }
  const growth = afterPasses[PASSES - 1]! - afterPasses[0]!;
  console.log(`RSS after pass ${PASSES} vs after pass 1: ${mib(growth) >= 0 ? "+" : ""}${mib(growth).toFixed(1)} MiB`);
  return { ok: allOk };
}
