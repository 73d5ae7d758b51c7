// Barge-in: when IMS hangs up on a reply (the user interrupted), the worker must let go of
// the model server at once. The fake upstream records when its connection closed; the delay
// from the client's abort to that moment is printed for each case.
import { performance } from "node:perf_hooks";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../worker/config.ts";
import { openaiCompatible } from "../worker/providers/openai-compatible.ts";
import { RequestLog } from "../worker/request-log.ts";
import { startReply } from "../worker/reply/start-reply.ts";
import { sseEvents, startFakeUpstream, upstreamChunk, type FakeUpstream } from "./support/fake-upstream.ts";
import { builtServerDir } from "./support/paths.ts";
import { startServer, type RunningServer } from "../selfhost/start-server.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

/** Proof that the close happens, not a speed test: the figure itself is printed and reported. */
const MUST_CLOSE_WITHIN_MS = 2000;
const ROUNDS = 5;

// A model that keeps talking for a minute unless stopped.
const endless = [
  ...sseEvents([upstreamChunk({ role: "assistant", content: "" }), upstreamChunk({ content: "Let me tell you a long story." })], false),
  ...Array.from({ length: 3000 }, () => [{ wait: 20 }, `data: ${JSON.stringify(upstreamChunk({ content: " and then" }))}\n\n`]).flat(),
];

let upstream: FakeUpstream;
let worker: RunningWorker;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  worker = await startWorker({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url });
});
afterAll(async () => {
  await worker?.dispose();
  await upstream?.close();
});

/** Waits for the upstream to close the last request's connection; returns ms since `abortedAt`. */
async function closeDelay(abortedAt: number): Promise<number> {
  const closedAt = await Promise.race([upstream.requests.at(-1)!.closed, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), MUST_CLOSE_WITHIN_MS))]);
  return closedAt - abortedAt;
}

const report = (what: string, delays: number[]) => {
  const sorted = [...delays].sort((a, b) => a - b);
  console.log(`barge-in ${what}: upstream closed ${sorted.map((ms) => ms.toFixed(1)).join(", ")} ms after the client aborted (median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)})`);
};

describe("barge-in", () => {
  it("Spec 1 mid-stream: the openai SDK aborts, the upstream connection closes", async () => {
    upstream.reply({ body: endless });
    const client = new OpenAI({ baseURL: `${worker.directUrl}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const stream = await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: "Tell me a story" }] });
      let text = "";
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        if (text.includes("and then")) break; // leaving the loop aborts the SDK's request
      }
      delays.push(await closeDelay(performance.now()));
    }
    report("Spec 1 mid-stream", delays);
    for (const delay of delays) expect(delay).toBeLessThan(MUST_CLOSE_WITHIN_MS);
  });

  it("before the first token and on Spec 2: the caller's abort signal closes the upstream connection", async () => {
    // Local workerd does not notice a client that leaves while nothing is being written to it
    // (workerd#5062; on Cloudflare, request.signal fires with enable_request_signal), so the
    // path from that signal to the upstream is exercised here in Node with the worker's code.
    upstream.reply({ headersAfterMs: 5000, body: endless });
    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = upstream.requests.length;
      const caller = new AbortController();
      const config = parseConfig({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url, ALLOW_PRIVATE_UPSTREAM: "true" });
      const call = { messages: [{ role: "user" as const, content: "Hi" }], model: "m", options: {} };
      const pending = startReply(openaiCompatible, call, config, caller.signal, new RequestLog(`barge-in-${round}`)).catch(() => undefined);
      while (upstream.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
      const abortedAt = performance.now();
      caller.abort();
      await pending;
      delays.push(await closeDelay(abortedAt));
    }
    report("before the first token (request.signal path, Node)", delays);
    for (const delay of delays) expect(delay).toBeLessThan(MUST_CLOSE_WITHIN_MS);
  });
});

describe("barge-in, self-hosted", () => {
  // The server's front closes workerd's Unix socket when the caller hangs up, and workerd notices a
  // closed Unix socket at once, while on a TCP socket it notices only at its next write: so here,
  // unlike plain workerd, a caller who leaves before the first token releases the upstream too.
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url, ALLOW_PRIVATE_UPSTREAM: "true", API_KEYS: TEST_API_KEY }, { dir: builtServerDir });
  });
  afterAll(() => server?.stop());

  const call = (signal: AbortSignal) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "Tell me a story" }] }),
      signal,
    });

  it.each([
    ["mid-stream", endless, true],
    ["before the first token (first one 5 s away)", [{ wait: 5000 }, ...endless], false],
  ] as const)("%s: the caller's abort closes the upstream connection", async (what, body, readFirst) => {
    upstream.reply({ body: [...body] });
    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = upstream.requests.length;
      const caller = new AbortController();
      const response = call(caller.signal);
      if (readFirst) await (await response).body!.getReader().read();
      else while (upstream.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
      const abortedAt = performance.now();
      caller.abort();
      await response.catch(() => undefined);
      delays.push(await closeDelay(abortedAt));
    }
    report(`self-hosted ${what}`, delays);
    for (const delay of delays) expect(delay).toBeLessThan(MUST_CLOSE_WITHIN_MS);
  });
});
