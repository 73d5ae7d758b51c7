// Property-based fuzzing of both routes through the contract suite's fuzzer: generated hostile
// requests never get a 5xx, never hang, and every error body matches the published schema.
// FUZZ_RUNS sets the number of requests per route (npm run fuzz sends 10,000); FUZZ_SEED replays a run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzTarget } from "../contracts/conformance/fuzz-target.ts";
import type { Target } from "../contracts/conformance/target.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

/** Enough to cover every generator branch many times while keeping `npm test` quick. */
const DEFAULT_RUNS = 300;
const runs = Number(process.env.FUZZ_RUNS ?? DEFAULT_RUNS);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** Longest wait for one answer, body included; the slowest legitimate one (a 400 KB body) takes milliseconds. */
const REQUEST_TIMEOUT_MS = 10_000;
/** A generous bound for the whole run: average 100 ms per request is already far too slow. */
const runTimeout = Math.max(60_000, runs * 100);

let worker: RunningWorker;

beforeAll(async () => {
  worker = await startWorker();
});
afterAll(() => worker?.dispose());

describe.each([
  ["Spec 1 (OpenAI)", "openai", "/v1"],
  ["Spec 2 (Alibaba Cloud)", "alibaba", "/"],
] as const)("fuzzing %s", (name, spec, path) => {
  it(
    `${runs} generated requests: no 5xx, no hang, every error body valid`,
    async () => {
      const target: Target = { spec, url: `${worker.url}${path}`, apiKey: TEST_API_KEY, token: TEST_IMS_TOKEN, timeoutMs: REQUEST_TIMEOUT_MS, fetch };
      const report = await fuzzTarget(target, { runs, ...(seed !== undefined && { seed }) });
      console.log(`${name}: ${report.requests} requests, status tally ${JSON.stringify(report.statuses)}`);
      expect(report.failure, report.failure).toBeUndefined();
      // Refused bodies are drained, so no answer is lost to a connection reset.
      expect(report.statuses.resent).toBeUndefined();
      expect(report.requests).toBeGreaterThanOrEqual(runs);
    },
    runTimeout,
  );
});
