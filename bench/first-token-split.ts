// node bench/first-token-split.ts [--rounds N] [--baseline REF] [--quick]: where the time to first token
// goes when the paced scenario's 16 streams start at once. Every call is named in its profile,
// so the mock records when the request reached it and when it wrote the first chunk; with the
// moment the client sent it and the moment its first content event arrived (one clock: every
// process reads performance.timeOrigin + performance.now()), each call's TTFT splits into the
// way in (client -> worker -> upstream) and the way out (upstream's first chunk -> client).
// Targets as in npm run bench: direct, floor, copy, spec1 (and spec1 at REF), in turn per round.
// --quick (run by npm test) makes it small: it proves every call is verified and split, never times.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { projectRoot as root } from "../selfhost/bundle-worker.ts";
import { buildBundle, buildBundleAt, bundleBenchWorker } from "./build-bundle.ts";
import { startMockProcess } from "./mock-process.ts";
import type { CallRecord } from "./mock-upstream.ts";
import { call, closeClient, type CallResult } from "./stream-client.ts";
import { profileMessage, replyText, type StreamProfile } from "./stream-profile.ts";
import { percentile } from "./summarize.ts";
import { startWorkerd, type WorkerdServer } from "./workerd-server.ts";

const { values: flags } = parseArgs({ options: { rounds: { type: "string" }, baseline: { type: "string" }, quick: { type: "boolean", default: false } } });
/** Rounds measured; one more goes first, unmeasured, for JIT warm-up and first connections. */
const rounds = Number(flags.rounds ?? (flags.quick ? 1 : 5));
/** The paced scenario of npm run bench: its 16 streams start together and stay in step. */
const PACED: Omit<StreamProfile, "call"> = flags.quick ? { chunks: 5, size: 12, firstMs: 20, gapMs: 2 } : { chunks: 50, size: 12, firstMs: 200, gapMs: 20 };
const CONCURRENCY = flags.quick ? 4 : 16;
/** Bursts per target per round. */
const BURSTS = flags.quick ? 1 : 3;
const UPSTREAM_KEY = "bench-upstream-key";
const API_KEY = "bench-api-key";

const now = () => performance.timeOrigin + performance.now();
const stops: (() => Promise<void>)[] = [];

interface Target {
  name: string;
  url: string;
  credential: string;
}

interface Timed {
  target: string;
  sentAt: number;
  result: CallResult;
}

async function main(): Promise<number> {
  const mock = await startMockProcess(UPSTREAM_KEY);
  stops.push(mock.stop);
  const upstream = { UPSTREAM_BASE_URL: `http://127.0.0.1:${mock.port}/v1`, UPSTREAM_API_KEY: UPSTREAM_KEY, UPSTREAM_MODEL: "bench-model", ALLOW_PRIVATE_UPSTREAM: "true" };
  // Its own build directory, so it may run beside npm run bench.
  const bundle = buildBundle(root, join(root, ".build", "first-token"));
  const serve = async (name: string, modulePath: string, vars: Record<string, string>): Promise<WorkerdServer> => {
    const server = await startWorkerd(name, { ...bundle, modulePath, vars });
    stops.push(server.stop);
    return server;
  };
  const reference = (name: string) => {
    const module = join(root, ".build", "first-token", name, "index.js");
    bundleBenchWorker(join(import.meta.dirname, `${name}-worker.js`), module);
    return serve(name, module, upstream);
  };
  const workerVars = (vars: Record<string, string>) => ({ ...vars, ...upstream, MODEL_PROVIDER: "openai", API_KEYS: API_KEY });
  const worker = await serve("worker", bundle.modulePath, workerVars(bundle.vars));
  const floor = await reference("floor");
  const copy = await reference("copy");
  const targets: Target[] = [
    { name: "direct", url: `http://127.0.0.1:${mock.port}/v1/chat/completions`, credential: UPSTREAM_KEY },
    { name: "floor", url: `${floor.url}/v1/chat/completions`, credential: "" },
    { name: "copy", url: `${copy.url}/v1/chat/completions`, credential: "" },
    { name: "spec1", url: `${worker.url}/v1/chat/completions`, credential: API_KEY },
  ];
  if (flags.baseline) {
    const before = buildBundleAt(flags.baseline);
    const baseline = await startWorkerd("baseline", { ...before, vars: workerVars(before.vars) });
    stops.push(baseline.stop);
    targets.push({ name: `spec1@${flags.baseline}`, url: `${baseline.url}/v1/chat/completions`, credential: API_KEY });
  }

  const timed: Timed[] = [];
  let nextCall = 0;
  const burst = (target: Target, measured: boolean) =>
    Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        const profile: StreamProfile = { ...PACED, call: nextCall++ };
        const spec = { url: target.url, wire: "openai-sse" as const, credential: target.credential, prompt: profileMessage(profile), expectedText: replyText(profile), timeoutMs: 30_000 };
        const sentAt = now();
        const result = await call(spec);
        if (measured) timed[profile.call!] = { target: target.name, sentAt, result };
      }),
    );
  for (let round = 0; round <= rounds; round++) {
    for (const target of targets) for (let i = 0; i < BURSTS; i++) await burst(target, round > 0);
  }
  const records = (await (await fetch(`http://127.0.0.1:${mock.port}/records`)).json()) as CallRecord[];

  const recordOf = new Map(records.map((record) => [record.call, record]));
  // Per call, TTFT = way in + the upstream's own wait + way out; each column is a median over calls, so the three
  // medians need not add up, and the wait is given per call as well.
  const split: Record<string, { ok: number; total: number; ttft: number[]; wayIn: number[]; wayOut: number[]; upstream: number[] }> = {};
  for (const [callId, entry] of timed.entries()) {
    if (!entry) continue;
    const row = (split[entry.target] ??= { ok: 0, total: 0, ttft: [], wayIn: [], wayOut: [], upstream: [] });
    row.total++;
    const record = recordOf.get(callId);
    if (!entry.result.ok || !record || record.firstChunkAt === null) continue;
    row.ok++;
    row.ttft.push(entry.result.ttftMs);
    row.wayIn.push(record.receivedAt - entry.sentAt);
    row.wayOut.push(entry.sentAt + entry.result.ttftMs - record.firstChunkAt);
    row.upstream.push(record.firstChunkAt - record.receivedAt);
  }
  const p50 = (values: number[]) => percentile(values, 50);
  const direct = split.direct!;
  const over = (value: number, of: number) => `+${(value - of).toFixed(1)}`;
  console.log(`${rounds} rounds x ${BURSTS} bursts of ${CONCURRENCY} paced streams per target (p50 ms; "+" is over direct)\n`);
  console.log("| target | ok/total | TTFT | +TTFT | way in: sent -> upstream has the request | + | way out: upstream's first chunk -> client | + | upstream's own wait |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const { name } of targets) {
    const row = split[name]!;
    const [ttft, wayIn, wayOut] = [p50(row.ttft), p50(row.wayIn), p50(row.wayOut)];
    console.log(
      `| ${name} | ${row.ok}/${row.total} | ${ttft.toFixed(1)} | ${over(ttft, p50(direct.ttft))} | ${wayIn.toFixed(1)} | ${over(wayIn, p50(direct.wayIn))} | ${wayOut.toFixed(1)} | ${over(wayOut, p50(direct.wayOut))} | ${p50(row.upstream).toFixed(1)} |`,
    );
  }
  return Object.values(split).every((row) => row.ok === row.total && row.total > 0) ? 0 : 1;
}

try {
  process.exitCode = await main();
} finally {
  closeClient();
  await Promise.all(stops.map((stop) => stop()));
}
