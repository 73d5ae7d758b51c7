// Property-based fuzzing of both routes through the contract suite's fuzzer: generated hostile
// requests (broken framing, bodies cut short, forms of many parts among them) never get a 5xx,
// never hang, never cost unbounded CPU, and every error body matches the published schema.
// A second worker sits behind an upstream whose every reply is hostile (extreme numbers, error
// bodies quoting the key): only a 502/504 that blames the upstream may be 5xx there. No answer
// and no log line holds a configured secret, and no log line is at error level but the
// upstream's failures.
// FUZZ_RUNS sets the number of requests per route (npm run fuzz sends 10,000); FUZZ_SEED replays a run.
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzTarget } from "../contracts/conformance/fuzz-target.ts";
import type { Target } from "../contracts/conformance/target.ts";
import { startHostileUpstream, type HostileUpstream } from "./support/hostile-upstream.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

/** Enough to cover every generator branch many times while keeping `npm test` quick. */
const DEFAULT_RUNS = 300;
const runs = Number(process.env.FUZZ_RUNS ?? DEFAULT_RUNS);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** Longest wait for one answer, body included; the slowest legitimate one (a few MiB) takes milliseconds. */
const REQUEST_TIMEOUT_MS = 10_000;
/** A generous bound for the whole run: average 100 ms per request is already far too slow. */
const runTimeout = Math.max(60_000, runs * 100);
/** The fuzzer's own bound, under the test's: a request still in flight when it ends gets its full timeout. */
const fuzzTimeLimit = runTimeout - 2 * REQUEST_TIMEOUT_MS;
/**
 * CPU one request may cost workerd, on its first send and again on a second: the costliest
 * generated requests (bodies of a few MiB) cost 50-80 ms, unbounded work seconds. A first send
 * read 210 and 240 ms in two of a dozen runs, where bodies of that size cost 50-60 ms in 6,000
 * others: the window also holds whatever else workerd did meanwhile (most likely collecting
 * earlier requests' garbage).
 */
const MAX_REQUEST_CPU_MS = 250;
const UPSTREAM_API_KEY = "up-Fuzz-S3cret-1d2e3f4a";
const SECRETS = [TEST_API_KEY, TEST_IMS_TOKEN, UPSTREAM_API_KEY];

/**
 * Generated bodies reach a few MiB once encoded, past the default MAX_BODY_BYTES. A body
 * declared larger than the limit is refused unread and its connection closed (SECURITY.md),
 * which costs the next request on that pooled connection a reset; so the fuzzed workers take
 * bodies up to 8 MiB, and the limit's own refusals are pinned in bad-input.test.ts.
 */
const FUZZ_LIMITS = { MAX_BODY_BYTES: String(8 * 1024 * 1024) };

/** Kernel clock ticks per second for /proc times; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU ms of the workerd processes this test file started (Miniflare's children). */
function workerdCpuMs(): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) === process.pid && stat.includes("(workerd)")) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

const logs: { level: string; message: string }[] = [];
const onLog = (line: { level: string; message: string }) => void logs.push(line);

let worker: RunningWorker;
let behindHostile: RunningWorker;
let upstream: HostileUpstream;

beforeAll(async () => {
  upstream = await startHostileUpstream(UPSTREAM_API_KEY, seed ?? Date.now() % 1_000_000);
  [worker, behindHostile] = await Promise.all([
    startWorker(FUZZ_LIMITS, { onLog }),
    startWorker({ ...FUZZ_LIMITS, MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url, UPSTREAM_API_KEY }, { onLog: (line) => onLog({ ...line, level: `upstream-${line.level}` }) }),
  ]);
});
afterAll(async () => {
  await Promise.all([worker, behindHostile].map((running) => running?.dispose()));
  await upstream?.close();
});

describe.each([
  ["Spec 1 (OpenAI)", "openai", "/v1", false],
  ["Spec 2 (Alibaba Cloud)", "alibaba", "/", false],
  ["Spec 1 behind a hostile upstream", "openai", "/v1", true],
  ["Spec 2 behind a hostile upstream", "alibaba", "/", true],
] as const)("fuzzing %s", (name, spec, path, hostileUpstream) => {
  it(
    `${runs} generated requests: no 5xx of the worker's own, no hang, no unbounded CPU, no secret, every error body valid`,
    async () => {
      const running = hostileUpstream ? behindHostile : worker;
      const target: Target = { spec, url: `${running.url}${path}`, apiKey: TEST_API_KEY, token: TEST_IMS_TOKEN, timeoutMs: REQUEST_TIMEOUT_MS, fetch };
      const report = await fuzzTarget(target, { runs, ...(seed !== undefined && { seed }), cpuMs: workerdCpuMs, maxCpuMs: MAX_REQUEST_CPU_MS, secrets: SECRETS, upstreamFailures: hostileUpstream, timeLimitMs: fuzzTimeLimit });
      console.log(`${name}: ${report.requests} requests, status tally ${JSON.stringify(report.statuses)}, most CPU for one request ${report.maxCpuMs} ms (${report.costliest?.slice(0, 300)})`);
      expect(report.failure, report.failure).toBeUndefined();
      // Refused bodies are drained, so no answer is lost to a connection reset.
      expect(report.statuses.resent).toBeUndefined();
      expect(report.requests).toBeGreaterThanOrEqual(runs);
    },
    runTimeout,
  );
});

describe("the fuzzed workers' logs", () => {
  it("hold no configured secret, no line longer than a few hundred characters, and no error but the upstream's", () => {
    expect(logs.length).toBeGreaterThan(0);
    for (const { level, message } of logs) {
      for (const secret of SECRETS) expect(message).not.toContain(secret);
      // workerd's own diagnostics (a chunk size it could not parse, with its stack) are not the worker's lines.
      if (!message.startsWith("{")) continue;
      expect(message.length, message.slice(0, 1500)).toBeLessThan(1000);
      expect(level, message).not.toBe("error");
    }
  });
});
