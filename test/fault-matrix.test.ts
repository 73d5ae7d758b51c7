// The fault matrix: every way a model server fails, and what each route's caller receives.
// Spec 1 is read with the openai SDK (what IMS stands for) and, for streams, also raw, to
// prove a failed stream never ends with [DONE].
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseEvents, startFakeUpstream, textReply, upstreamChunk, type FakeUpstream, type ScriptedReply } from "./support/fake-upstream.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

/**
 * Short enough that stalls are reached in about a second; long enough that the rows about
 * something else cannot cross them by accident when a loaded machine pauses the upstream
 * (which runs in this process) for a few hundred ms.
 */
const TIMEOUTS = { FIRST_TOKEN_TIMEOUT_MS: "1000", IDLE_TIMEOUT_MS: "1000", TOTAL_TIMEOUT_MS: "3000", MAX_EVENT_BYTES: "8192" };
const FALLBACK = "Sorry, I lost my train of thought. Could you say that again?";

type Spec1 = { http: number; code: string; retryAfter?: string } | { text: string | RegExp; then: "error"; code: string } | { text: string; then: "done" };
type Spec2 = { http: number; code: string } | { text: string };

interface Row {
  fault: string;
  worker: "plain" | "refused" | "fallback";
  replies: ScriptedReply[];
  spec1: Spec1;
  spec2: Spec2;
  /** Requests the upstream must have received for one call (retries show here). */
  attempts?: number;
}

const hello = textReply(["Hello", " world."]);
const started = sseEvents([upstreamChunk({ role: "assistant", content: "" }), upstreamChunk({ content: "Hello" })], false);
const oversized = `data: ${JSON.stringify(upstreamChunk({ content: "x".repeat(10_000) }))}\n\n`;
const errorEvent = `data: ${JSON.stringify({ error: { message: "Internal inference failure", type: "server_error", code: "inference_failed" } })}\n\n`;

const matrix: Row[] = [
  { fault: "connection refused", worker: "refused", replies: [], spec1: { http: 502, code: "upstream_unavailable" }, spec2: { http: 502, code: "UpstreamUnavailable" } },
  { fault: "401 from the upstream (wrong UPSTREAM_API_KEY)", worker: "plain", replies: [{ status: 401, headers: { "content-type": "application/json" }, body: ['{"error":{"message":"Incorrect API key provided: sk-up...","type":"invalid_request_error","code":"invalid_api_key"}}'] }], spec1: { http: 502, code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" }, attempts: 1 },
  { fault: "302 redirect (not followed)", worker: "plain", replies: [{ status: 302, headers: { location: "/elsewhere/chat/completions" }, body: [] }, { body: hello }], spec1: { http: 502, code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" }, attempts: 1 },
  { fault: "429 with Retry-After", worker: "plain", replies: [{ status: 429, headers: { "content-type": "application/json", "retry-after": "7" }, body: ['{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'] }], spec1: { http: 429, code: "upstream_rate_limited", retryAfter: "7" }, spec2: { http: 429, code: "Throttling.Upstream" }, attempts: 1 },
  { fault: "500 with a JSON body (retried once)", worker: "plain", replies: [{ status: 500, headers: { "content-type": "application/json" }, body: ['{"error":{"message":"boom","type":"server_error"}}'] }], spec1: { http: 502, code: "upstream_unavailable" }, spec2: { http: 502, code: "UpstreamUnavailable" }, attempts: 2 },
  { fault: "500 with a non-JSON body", worker: "plain", replies: [{ status: 500, headers: { "content-type": "text/html" }, body: ["<html><body>Bad Gateway</body></html>"] }], spec1: { http: 502, code: "upstream_unavailable" }, spec2: { http: 502, code: "UpstreamUnavailable" }, attempts: 2 },
  { fault: "500 with an empty body", worker: "plain", replies: [{ status: 500, headers: {}, body: [] }], spec1: { http: 502, code: "upstream_unavailable" }, spec2: { http: 502, code: "UpstreamUnavailable" }, attempts: 2 },
  { fault: "503 once, then a good stream (the retry)", worker: "plain", replies: [{ status: 503, body: [] }, { body: hello }], spec1: { text: "Hello world.", then: "done" }, spec2: { text: "Hello world." }, attempts: 2 },
  { fault: "headers slower than the first-token timeout", worker: "plain", replies: [{ headersAfterMs: 3000, body: hello }], spec1: { http: 504, code: "upstream_timeout" }, spec2: { http: 504, code: "UpstreamTimeout" }, attempts: 1 },
  { fault: "stall mid-stream past the idle timeout", worker: "plain", replies: [{ body: [...started, "hang"] }], spec1: { text: "Hello", then: "error", code: "upstream_timeout" }, spec2: { http: 504, code: "UpstreamTimeout" } },
  { fault: "steady trickle past the total timeout", worker: "plain", replies: [{ body: [started[0]!, ...Array.from({ length: 60 }, () => [{ wait: 100 }, `data: ${JSON.stringify(upstreamChunk({ content: "." }))}\n\n`]).flat()] }], spec1: { text: /^\.{5,}$/, then: "error", code: "upstream_timeout" }, spec2: { http: 504, code: "UpstreamTimeout" } },
  { fault: "stream truncated without finish_reason or [DONE]", worker: "plain", replies: [{ body: started }], spec1: { text: "Hello", then: "error", code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" } },
  { fault: "connection dropped mid-stream", worker: "plain", replies: [{ body: [...started, { wait: 50 }, "destroy"] }], spec1: { text: "Hello", then: "error", code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" } },
  { fault: "finish_reason but no [DONE] (tolerated)", worker: "plain", replies: [{ body: sseEvents([upstreamChunk({ content: "Hello" }), upstreamChunk({}, "stop")], false) }], spec1: { text: "Hello", then: "done" }, spec2: { text: "Hello" } },
  { fault: "[DONE] but no finish_reason (tolerated)", worker: "plain", replies: [{ body: sseEvents([upstreamChunk({ content: "Hello" })]) }], spec1: { text: "Hello", then: "done" }, spec2: { text: "Hello" } },
  { fault: "a non-JSON data line mid-stream", worker: "plain", replies: [{ body: [...started, "data: {not json\n\n", ...hello] }], spec1: { text: "Hello", then: "error", code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" } },
  { fault: "a non-JSON data line first", worker: "plain", replies: [{ body: ["data: <html>\n\n", ...hello] }], spec1: { http: 502, code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" } },
  { fault: "an error object inside the stream", worker: "plain", replies: [{ body: [...started, errorEvent] }], spec1: { text: "Hello", then: "error", code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" } },
  { fault: "an error object as the first event", worker: "plain", replies: [{ body: [errorEvent] }], spec1: { http: 502, code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" } },
  { fault: "comments, pings and CRLF line ends (tolerated)", worker: "plain", replies: [{ body: [": connected\r\n\r\n", ...hello.map((event) => `: ping\r\n${event.replaceAll("\n", "\r\n")}`)] }], spec1: { text: "Hello world.", then: "done" }, spec2: { text: "Hello world." } },
  { fault: "an event larger than MAX_EVENT_BYTES, first", worker: "plain", replies: [{ body: [oversized, ...hello] }], spec1: { http: 502, code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" } },
  { fault: "an event larger than MAX_EVENT_BYTES, mid-stream", worker: "plain", replies: [{ body: [...started, oversized, ...hello] }], spec1: { text: "Hello", then: "error", code: "upstream_error" }, spec2: { http: 502, code: "UpstreamError" } },
  { fault: "500 with FALLBACK_TEXT set", worker: "fallback", replies: [{ status: 500, body: [] }], spec1: { text: FALLBACK, then: "done" }, spec2: { text: FALLBACK } },
  { fault: "stall mid-stream with FALLBACK_TEXT set", worker: "fallback", replies: [{ body: [...started, "hang"] }], spec1: { text: `Hello ${FALLBACK}`, then: "done" }, spec2: { text: `Hello ${FALLBACK}` } },
];

let upstream: FakeUpstream;
const workers: Partial<Record<Row["worker"], RunningWorker>> = {};

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const base = { MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url, ...TIMEOUTS };
  [workers.plain, workers.fallback, workers.refused] = await Promise.all([
    startWorker(base),
    startWorker({ ...base, FALLBACK_TEXT: FALLBACK }),
    startWorker({ ...base, UPSTREAM_BASE_URL: `http://127.0.0.1:${await deadPort()}` }),
  ]);
});
afterAll(async () => {
  await Promise.all(Object.values(workers).map((worker) => worker.dispose()));
  await upstream?.close();
});

const chat = { model: "m", stream: true as const, messages: [{ role: "user" as const, content: "Hi" }] };

/** What the openai SDK makes of the reply. */
async function viaSdk(worker: RunningWorker) {
  const client = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
  let text = "";
  let finish: string | null | undefined;
  try {
    const stream = await client.chat.completions.create(chat);
    try {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
    } catch (error) {
      if (!(error instanceof OpenAI.APIError)) throw error;
      return { text, streamError: (error.error as { code?: string } | undefined)?.code ?? error.code };
    }
    return { text, finish };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { status: error.status, code: error.code, retryAfter: error.headers?.get("retry-after") ?? undefined };
  }
}

/** The raw event stream, to check how it ends. */
async function rawEvents(worker: RunningWorker): Promise<string[]> {
  const response = await fetch(`${worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(chat),
  });
  expect(response.status).toBe(200);
  return (await response.text()).split("\n\n").filter(Boolean);
}

async function viaSpec2(worker: RunningWorker) {
  const response = await fetch(`${worker.url}/`, {
    method: "POST",
    body: new URLSearchParams({ Message: '[{"role":"user","content":"Hi"}]', Token: TEST_IMS_TOKEN, ExtendData: '{"InstanceId":"i-1"}' }),
  });
  return { status: response.status, body: (await response.json()) as { Text?: string; Code?: string } };
}

describe("timeouts", () => {
  // With the idle deadline lost, the stall would last the full first-token timeout (30 s). The
  // call is timed, not the test: starting a worker on a loaded machine can itself take seconds.
  it("the idle timeout holds when the first-token timeout is much longer", { timeout: 40_000 }, async () => {
    const worker = await startWorker({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url, FIRST_TOKEN_TIMEOUT_MS: "30000", IDLE_TIMEOUT_MS: "1000" });
    try {
      upstream.reply({ body: [...started, { wait: 100 }, `data: ${JSON.stringify(upstreamChunk({ content: " there" }))}\n\n`, "hang"] });
      const calledAt = Date.now();
      expect(await viaSdk(worker)).toEqual({ text: "Hello there", streamError: "upstream_timeout" });
      expect(Date.now() - calledAt).toBeLessThan(5000);
    } finally {
      await worker.dispose();
    }
  });
});

describe("fault matrix", () => {
  for (const row of matrix) {
    it(`${row.fault} -> Spec 1: ${"http" in row.spec1 ? `HTTP ${row.spec1.http} ${row.spec1.code}` : `streamed text then ${row.spec1.then}`}`, async () => {
      const worker = workers[row.worker]!;
      upstream.reply(...row.replies);
      const before = upstream.requests.length;
      const result = await viaSdk(worker);
      if (row.attempts !== undefined) expect(upstream.requests.length - before).toBe(row.attempts);
      if ("http" in row.spec1) {
        expect(result).toMatchObject({ status: row.spec1.http, code: row.spec1.code });
        if (row.spec1.retryAfter) expect(result).toMatchObject({ retryAfter: row.spec1.retryAfter });
        return;
      }
      expect(result.text).toMatch(row.spec1.text);
      if (row.spec1.then === "done") {
        expect(result).toMatchObject({ finish: "stop" });
      } else {
        expect(result).toMatchObject({ streamError: row.spec1.code });
        upstream.reply(...row.replies);
        const events = await rawEvents(worker);
        expect(events.at(-1)).toMatch(/^data: \{"error":/);
        expect(events).not.toContain("data: [DONE]");
      }
    });

    it(`${row.fault} -> Spec 2: ${"http" in row.spec2 ? `HTTP ${row.spec2.http} ${row.spec2.code}` : "{Text}"}`, async () => {
      upstream.reply(...row.replies);
      const result = await viaSpec2(workers[row.worker]!);
      if ("http" in row.spec2) {
        expect(result.status).toBe(row.spec2.http);
        expect(result.body.Code).toBe(row.spec2.code);
      } else {
        expect(result).toEqual({ status: 200, body: { Text: row.spec2.text } });
      }
    });
  }
});
