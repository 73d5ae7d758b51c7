import type { CallResult } from "./stream-client.ts";

/** One batch: one target, one scenario, one round. */
export interface Batch {
  target: string;
  scenario: string;
  round: number;
  results: CallResult[];
  wallMs: number;
  /** CPU seconds the target's workerd tree used during the batch; undefined for direct. */
  cpuSeconds: number | undefined;
}

export interface Summary {
  target: string;
  scenario: string;
  ok: number;
  total: number;
  errors: string[];
  ttft: { p50: number; p95: number; p99: number };
  /** TTFT p50 minus direct's TTFT p50 in the same scenario. */
  addedTtftP50: number;
  total50: number;
  addedTotalP50: number;
  chunksPerSecond: number | undefined;
  spreadP50: number;
  directSpreadP50: number;
  /** CPU milliseconds per request (= CPU seconds per 1,000 requests). */
  cpuMsPerRequest: number | undefined;
  /** cpuMsPerRequest over the floor's in the same scenario, over all rounds, and the lowest and highest single round. */
  cpuRatioToFloor: Ratio | undefined;
  /** The same over the copy worker's (JavaScript woken once per chunk, nothing else): what checking and re-framing add. */
  cpuRatioToCopy: Ratio | undefined;
}

export interface Ratio {
  all: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const cpuMs = (batches: Batch[]) => {
  const requests = batches.reduce((sum, batch) => sum + batch.results.length, 0);
  return batches.every((batch) => batch.cpuSeconds !== undefined) ? (batches.reduce((sum, batch) => sum + batch.cpuSeconds!, 0) * 1000) / requests : undefined;
};

/** `group`'s CPU per request over `reference`'s: over all rounds, and the lowest and highest single round. */
function cpuRatio(group: Batch[], reference: Batch[]): Ratio | undefined {
  const cpu = cpuMs(group);
  const referenceCpu = cpuMs(reference);
  if (cpu === undefined || !referenceCpu) return undefined;
  const perRound = group.map((batch) => {
    const same = reference.find((candidate) => candidate.round === batch.round);
    return same ? cpuMs([batch])! / cpuMs([same])! : Number.NaN;
  });
  return { all: cpu / referenceCpu, min: Math.min(...perRound), max: Math.max(...perRound) };
}

/** Per target and scenario, over all rounds; added times are against direct, CPU ratios against the floor and the copy worker. */
export function summarize(batches: Batch[], direct = "direct", floor = "floor", copy = "copy"): Summary[] {
  const keys = [...new Set(batches.map((batch) => `${batch.scenario}\u0000${batch.target}`))];
  const pick = (scenario: string, target: string) => batches.filter((batch) => batch.scenario === scenario && batch.target === target);
  const okResults = (group: Batch[]) => group.flatMap((batch) => batch.results.filter((result) => result.ok));
  return keys.map((key) => {
    const [scenario, target] = key.split("\u0000") as [string, string];
    const group = pick(scenario, target);
    const results = group.flatMap((batch) => batch.results);
    const good = okResults(group);
    const directGood = okResults(pick(scenario, direct));
    const ttfts = good.map((result) => result.ttftMs);
    const p50 = (values: number[]) => percentile(values, 50);
    const chunks = good.reduce((sum, result) => sum + result.chunks, 0);
    const wall = group.reduce((sum, batch) => sum + batch.wallMs, 0);
    const cpu = cpuMs(group);
    return {
      target,
      scenario,
      ok: good.length,
      total: results.length,
      errors: [...new Set(results.flatMap((result) => (result.error ? [result.error] : [])))].slice(0, 5),
      ttft: { p50: p50(ttfts), p95: percentile(ttfts, 95), p99: percentile(ttfts, 99) },
      addedTtftP50: p50(ttfts) - p50(directGood.map((result) => result.ttftMs)),
      total50: p50(good.map((result) => result.totalMs)),
      addedTotalP50: p50(good.map((result) => result.totalMs)) - p50(directGood.map((result) => result.totalMs)),
      chunksPerSecond: chunks > 0 ? (chunks * 1000) / wall : undefined,
      spreadP50: p50(good.map((result) => result.spreadMs)),
      directSpreadP50: p50(directGood.map((result) => result.spreadMs)),
      cpuMsPerRequest: cpu,
      cpuRatioToFloor: cpuRatio(group, pick(scenario, floor)),
      cpuRatioToCopy: cpuRatio(group, pick(scenario, copy)),
    };
  });
}
