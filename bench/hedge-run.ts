// The hedging scenario (npm run bench -- --hedge): a primary whose first token comes after 3 s
// in one call of five and after 200 ms otherwise, a backup at 300 ms, and one worker serving
// both as two MODELS routes, "plain" (fallback only) and "hedged" (hedgeAfterMs 400), called
// in turn round after round. It reports time to first token for each, the share of calls that
// started a second request, and how long after the winner's first chunk the loser's connection
// closed, from the mock's own records (one clock for both requests of a call).
import type { Bundle } from "./build-bundle.ts";
import { startMockProcess } from "./mock-process.ts";
import type { CallRecord } from "./mock-upstream.ts";
import { treeCpuSeconds } from "./process-tree.ts";
import { callMany, type CallResult } from "./stream-client.ts";
import { profileMessage, replyText, type StreamProfile } from "./stream-profile.ts";
import { percentile } from "./summarize.ts";
import { startWorkerd } from "./workerd-server.ts";

/** The figures: one call in five is slow, by this much; the backup and the hedge delay. */
const SLOW_EVERY = 5;
const SLOW_FIRST_MS = 3000;
const FAST_FIRST_MS = 200;
const BACKUP_FIRST_MS = 300;
const HEDGE_AFTER_MS = 400;
/** What hedging must reach, and how fast the loser must be let go (the targets). */
const TARGET_P99_MS = 800;
const TARGET_LOSER_CLOSED_MS = 100;
/** A short voice reply at a model's pace. */
const REPLY: StreamProfile = { chunks: 20, size: 12, firstMs: 0, gapMs: 20 };
const KEY = "bench-hedge-upstream-key";
const API_KEY = "bench-hedge-api-key";

export interface HedgeReport {
  routes: Record<string, { ok: number; total: number; ttft: { p50: number; p95: number; p99: number }; cpuMsPerRequest: number; secondRequestShare: number }>;
  loserClosedAfterWinnerMs: { count: number; p50: number; p95: number; p99: number; max: number };
  pass: boolean;
}

const stats = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) });

export async function hedgeRun(bundle: Bundle, options: { rounds: number; callsPerRound: number; concurrency: number }, stops: (() => Promise<void>)[]): Promise<HedgeReport> {
  const mock = await startMockProcess(KEY);
  stops.push(mock.stop);
  const upstream = `http://127.0.0.1:${mock.port}`;
  const targets = [
    { name: "primary", provider: "openai", baseUrl: `${upstream}/v1`, model: "primary", key: "BENCH_UPSTREAM_KEY" },
    { name: "backup", provider: "openai", baseUrl: `${upstream}/first-${BACKUP_FIRST_MS}/v1`, model: "backup", key: "BENCH_UPSTREAM_KEY" },
  ];
  const models = { plain: { targets }, hedged: { targets, hedgeAfterMs: HEDGE_AFTER_MS } };
  const vars = { ...bundle.vars, MODELS: JSON.stringify(models), BENCH_UPSTREAM_KEY: KEY, ALLOW_PRIVATE_UPSTREAM: "true", API_KEYS: API_KEY };
  const worker = await startWorkerd("worker-hedge", { ...bundle, vars });
  stops.push(worker.stop);

  let nextCall = 0;
  const results: Record<string, CallResult[]> = { plain: [], hedged: [] };
  const calls: Record<string, number[]> = { plain: [], hedged: [] };
  const cpu: Record<string, number> = { plain: 0, hedged: 0 };
  const batch = async (route: string) => {
    const first = nextCall;
    nextCall += options.callsPerRound;
    const before = treeCpuSeconds(worker.pid);
    const batchResults = await callMany(options.callsPerRound, options.concurrency, (i) => {
      const call = first + i;
      calls[route]!.push(call);
      const profile = { ...REPLY, firstMs: i % SLOW_EVERY === 0 ? SLOW_FIRST_MS : FAST_FIRST_MS, call };
      return { url: `${worker.url}/v1/chat/completions`, wire: "openai-sse", credential: API_KEY, prompt: profileMessage(profile), expectedText: replyText(REPLY), timeoutMs: 30_000, model: route };
    });
    cpu[route]! += treeCpuSeconds(worker.pid) - before;
    results[route]!.push(...batchResults);
  };
  // A few unmeasured calls first, so JIT warm-up and first connections are not counted.
  await batch("plain");
  results.plain = [];
  calls.plain = [];
  cpu.plain = 0;
  for (let round = 0; round < options.rounds; round++) for (const route of ["plain", "hedged"]) await batch(route);
  // Let the last losers' connections close before reading the records.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const records = (await (await fetch(`${upstream}/records`)).json()) as CallRecord[];
  const byCall = new Map<number, CallRecord[]>();
  for (const record of records) byCall.set(record.call, [...(byCall.get(record.call) ?? []), record]);

  const loserClosed: number[] = [];
  const routes: HedgeReport["routes"] = {};
  for (const route of ["plain", "hedged"]) {
    const own = calls[route]!.map((call) => byCall.get(call) ?? []);
    for (const requests of own) {
      const winner = requests.find((request) => request.completed);
      for (const loser of requests.filter((request) => request !== winner)) {
        if (winner?.firstChunkAt != null && loser.closedAt != null) loserClosed.push(loser.closedAt - winner.firstChunkAt);
      }
    }
    const answered = results[route]!;
    routes[route] = {
      ok: answered.filter((result) => result.ok).length,
      total: answered.length,
      ttft: stats(answered.filter((result) => result.ok).map((result) => result.ttftMs)),
      cpuMsPerRequest: (cpu[route]! * 1000) / answered.length,
      secondRequestShare: own.filter((requests) => requests.length > 1).length / own.length,
    };
  }
  const closed = { count: loserClosed.length, ...stats(loserClosed), max: Math.max(...loserClosed) };
  const hedged = routes.hedged!;
  const pass = hedged.ttft.p99 <= TARGET_P99_MS && closed.p99 <= TARGET_LOSER_CLOSED_MS;
  return { routes, loserClosedAfterWinnerMs: closed, pass };
}

export function printHedgeReport(report: HedgeReport): void {
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  console.log(`hedging: primary first token ${SLOW_FIRST_MS} ms in 1 call of ${SLOW_EVERY}, else ${FAST_FIRST_MS} ms; backup ${BACKUP_FIRST_MS} ms; hedgeAfterMs ${HEDGE_AFTER_MS}`);
  console.log("| route | ok | TTFT p50 | p95 | p99 | calls that started a second request | worker CPU ms/req |");
  console.log("|---|---|---|---|---|---|---|");
  for (const [route, figures] of Object.entries(report.routes)) {
    console.log(`| ${route} | ${figures.ok}/${figures.total} | ${ms(figures.ttft.p50)} | ${ms(figures.ttft.p95)} | ${ms(figures.ttft.p99)} | ${(figures.secondRequestShare * 100).toFixed(1)}% | ${figures.cpuMsPerRequest.toFixed(2)} |`);
  }
  const closed = report.loserClosedAfterWinnerMs;
  console.log(`loser's connection closed after the winner's first chunk (${closed.count} hedged calls): p50 ${closed.p50.toFixed(1)} ms, p95 ${closed.p95.toFixed(1)} ms, p99 ${closed.p99.toFixed(1)} ms, max ${closed.max.toFixed(1)} ms`);
  console.log(`targets (hedged TTFT p99 <= ${TARGET_P99_MS} ms, loser closed within ${TARGET_LOSER_CLOSED_MS} ms at p99): ${report.pass ? "met" : "NOT met"}`);
}
