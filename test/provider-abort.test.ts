// Barge-in, in Node with the worker's own code: a provider must pass the reply's abort signal
// to its upstream itself. In workerd a client that leaves cancels every subrequest of its
// request anyway, so only here does a provider that dropped the signal keep the upstream busy.
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type AiBinding } from "../worker/config.ts";
import { openaiCompatible } from "../worker/providers/openai-compatible.ts";
import type { Provider } from "../worker/providers/provider.ts";
import { workersAi } from "../worker/providers/workers-ai.ts";
import { RequestLog } from "../worker/request-log.ts";
import { startReply } from "../worker/reply/start-reply.ts";
import { startFakeUpstream, upstreamChunk, type FakeUpstream, type Step } from "./support/fake-upstream.ts";

/** Proof that the close happens, not a speed test. */
const MUST_CLOSE_WITHIN_MS = 2000;

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream?.close());

/** A model that keeps talking for a minute unless stopped, in the given event format. */
const endless = (event: (text: string) => object): Step[] => [
  `data: ${JSON.stringify(event("Let me tell you a long story."))}\n\n`,
  ...Array.from({ length: 3000 }, () => [{ wait: 20 }, `data: ${JSON.stringify(event(" and then"))}\n\n`]).flat(),
];
const openaiEvent = (text: string) => upstreamChunk({ content: text });
const workersAiEvent = (text: string) => ({ response: text });

/** A stand-in for the Workers AI binding: run() streams from the loopback upstream, honouring only the signal it is given. */
const aiBinding: AiBinding = {
  async run(model, inputs, options) {
    const response = await fetch(`${upstream.url}/ai/run`, { method: "POST", body: JSON.stringify({ model, inputs }), ...(options?.signal && { signal: options.signal }) });
    return response.body;
  },
};

const providers: [string, Provider, (text: string) => object][] = [
  ["openai", openaiCompatible, openaiEvent],
  ["workers-ai", workersAi, workersAiEvent],
];

function config() {
  const settings = parseConfig({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url, ALLOW_PRIVATE_UPSTREAM: "true" });
  return { ...settings, workersAi: { ...settings.workersAi, binding: aiBinding } };
}

/** ms from `abortedAt` until the upstream saw the last request's connection close (Infinity if it did not). */
async function closeDelay(abortedAt: number): Promise<number> {
  const closedAt = await Promise.race([upstream.requests.at(-1)!.closed, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), MUST_CLOSE_WITHIN_MS))]);
  return closedAt - abortedAt;
}

const call = { messages: [{ role: "user" as const, content: "Tell me a story" }], model: "m", options: {} };

describe.each(providers)("the %s provider releases its upstream when the caller leaves", (name, provider, event) => {
  it("mid-reply", async () => {
    upstream.reply({ body: endless(event) });
    const caller = new AbortController();
    const reply = await startReply(provider, call, config(), caller.signal, new RequestLog(`${name}-mid`));
    expect(reply.first.length).toBeGreaterThan(0);
    await reply.rest.next();
    const abortedAt = performance.now();
    caller.abort();
    await reply.rest.next();
    expect(await closeDelay(abortedAt)).toBeLessThan(MUST_CLOSE_WITHIN_MS);
  });

  it("before the first token", async () => {
    upstream.reply({ headersAfterMs: 5000, body: endless(event) });
    const before = upstream.requests.length;
    const caller = new AbortController();
    const pending = startReply(provider, call, config(), caller.signal, new RequestLog(`${name}-first`)).catch(() => undefined);
    while (upstream.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
    const abortedAt = performance.now();
    caller.abort();
    await pending;
    expect(await closeDelay(abortedAt)).toBeLessThan(MUST_CLOSE_WITHIN_MS);
  });
});
