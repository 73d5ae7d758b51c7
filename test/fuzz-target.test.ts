// The fuzzer's own time limit: a run that would outlast it stops there and fails, saying so,
// rather than being ended by the caller's time limit with nothing told (shrinking a hang repeats
// a request that takes the full request timeout, over and over). A hang it finds says how
// much CPU the target spent meanwhile, which tells a busy target from a stalled one. And a
// request over the CPU bound fails only if it costs as much again when sent again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzTarget } from "../contracts/conformance/fuzz-target.ts";
import { startEndpoint, type RunningEndpoint } from "./support/start-endpoint.ts";

/** Each answer takes this long: 100 requests take 20 s, far over the limit below. */
const ANSWER_MS = 200;
const TIME_LIMIT_MS = 1_000;
/** An error body the contract accepts. */
const REFUSAL = JSON.stringify({ error: { message: "refused", type: "invalid_request_error", param: null, code: "invalid_json" } });

/** Answers every request with the refusal, after ANSWER_MS. */
let slow: RunningEndpoint;
/** Takes requests and never answers them. */
let silent: RunningEndpoint;
let url: string;
let silentUrl: string;
beforeAll(async () => {
  [slow, silent] = await Promise.all([
    startEndpoint((req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(400, { "content-type": "application/json" }).end(REFUSAL), ANSWER_MS);
    }),
    startEndpoint((req) => req.resume()),
  ]);
  [url, silentUrl] = [slow.url, silent.url];
});
afterAll(() => Promise.all([slow?.close(), silent?.close()]));

it("stops a run at its time limit and fails it, saying how far it got", async () => {
  const started = performance.now();
  const report = await fuzzTarget({ spec: "openai", url: `${url}/v1`, apiKey: "k", token: "t", timeoutMs: 5_000, fetch }, { runs: 100, seed: 7, timeLimitMs: TIME_LIMIT_MS });
  const elapsed = performance.now() - started;
  expect(report.failure).toMatch(new RegExp(`^the run did not finish within ${TIME_LIMIT_MS} ms: \\d+ requests sent, no failure found`));
  expect(report.requests).toBeLessThan(100);
  expect(elapsed).toBeLessThan(TIME_LIMIT_MS + 2 * ANSWER_MS + 1_000);
});

it("reports a request that got no answer with the CPU the target spent while it waited", async () => {
  // Each reading of the target's CPU is 7 ms on from the last: the wait spans exactly one step.
  let cpu = 0;
  const report = await fuzzTarget({ spec: "openai", url: `${silentUrl}/v1`, apiKey: "k", token: "t", timeoutMs: 200, fetch }, { runs: 5, seed: 7, cpuMs: () => (cpu += 7), timeLimitMs: TIME_LIMIT_MS });
  expect(report.failure).toMatch(/^no answer \(time limit 200 ms\): .*; the target spent 7 ms of CPU meanwhile/);
});

describe("the CPU bound", () => {
  /** A target's CPU readings where each window between two readings costs what `costOf(window)` says. */
  const cpuReadings = (costOf: (window: number) => number) => {
    let readings = 0;
    let cpu = 0;
    return () => (cpu += readings++ % 2 === 1 ? costOf(Math.floor(readings / 2)) : 0);
  };

  it("lets a request through whose first send cost over it and whose second did not (other work in the window)", async () => {
    const report = await fuzzTarget({ spec: "openai", url: `${url}/v1`, apiKey: "k", token: "t", timeoutMs: 5_000, fetch }, { runs: 2, seed: 7, cpuMs: cpuReadings((window) => (window === 1 ? 300 : 20)), maxCpuMs: 250 });
    expect(report.failure).toBeUndefined();
    expect(report.statuses.remeasured).toBe(1);
    expect(report.maxCpuMs).toBe(20);
  });

  it("fails a request that costs over it every time it is sent", async () => {
    const report = await fuzzTarget({ spec: "openai", url: `${url}/v1`, apiKey: "k", token: "t", timeoutMs: 5_000, fetch }, { runs: 2, seed: 7, cpuMs: cpuReadings(() => 300), maxCpuMs: 250, timeLimitMs: TIME_LIMIT_MS });
    expect(report.failure).toMatch(/^the request cost 300 ms of CPU, and 300 ms sent again \(at most 250 allowed\)/);
  });
});

it("names the request that cost the target the most CPU", async () => {
  // The target charges each request its body's size in CPU ms, so the costliest is the largest body sent.
  let cpu = 0;
  const sent: { cost: number; body: RequestInit["body"] }[] = [];
  const charging: typeof fetch = (input, init) => {
    const cost = 1 + (typeof init?.body === "string" ? Buffer.byteLength(init.body) : init?.body instanceof Uint8Array ? init.body.length : 0);
    cpu += cost;
    sent.push({ cost, body: init?.body });
    return fetch(input, init);
  };
  const report = await fuzzTarget({ spec: "openai", url: `${url}/v1`, apiKey: "k", token: "t", timeoutMs: 5_000, fetch: charging }, { runs: 10, seed: 7, cpuMs: () => cpu });
  const dearest = sent.reduce((most, each) => (each.cost > most.cost ? each : most));
  expect(report.maxCpuMs).toBe(dearest.cost);
  // As the report shows a request: a text body's first 500 characters, bytes by their count.
  const shown = typeof dearest.body === "string" ? JSON.stringify(dearest.body.slice(0, 500)) : `"<${(dearest.body as Uint8Array).length} bytes>"`;
  expect(report.costliest).toContain(`"body":${shown}`);
});
