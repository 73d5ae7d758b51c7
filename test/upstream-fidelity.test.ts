// What the worker answers when a real upstream on 127.0.0.1 reports an error, sends usage
// alone, answers JSON, repeats tool-call fields or sends numbers meant to size work; and what
// it forwards of requests real callers send (nulls, IMS's plugin role, a tool result without
// its call id). Each case names the class of issue #10 (or #16) it pins.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaViolation } from "../contracts/conformance/published-schemas.ts";
import { sseEvents, startFakeUpstream, textReply, upstreamChunk, type FakeUpstream } from "./support/fake-upstream.ts";
import { root } from "./support/paths.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

let upstream: FakeUpstream;
let worker: RunningWorker;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream();
  worker = await startWorker(
    // Short enough for the one stall below to end in a second; long enough that a loaded machine's
    // pause of the upstream (in this process) cannot end a good stream.
    { MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1`, FIRST_TOKEN_TIMEOUT_MS: "1000" },
    { onLog: (line) => lines.push(JSON.parse(line.message) as Record<string, unknown>) },
  );
});
afterAll(async () => {
  await worker?.dispose();
  await upstream?.close();
});

const fixture = (name: string) => readFileSync(join(root, "test", "fixtures", name));
const chat = (body: object) =>
  fetch(`${worker.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }) });
const spec2 = () => fetch(`${worker.url}/`, { method: "POST", body: new URLSearchParams({ Message: '[{"role":"user","content":"hi"}]', Token: TEST_IMS_TOKEN }) });

/** The log line written after the first `seen` lines, which may reach the test a little after the response. */
async function lineAfter(seen: number): Promise<Record<string, unknown>> {
  for (let waited = 0; lines.length === seen && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(lines).toHaveLength(seen + 1);
  return lines.at(-1)!;
}

/** The data of each event of a Spec 1 stream. */
async function events(response: Response): Promise<string[]> {
  return (await response.text()).split("\n\n").filter(Boolean).map((event) => event.replace(/^data: /, ""));
}

describe("1. a failure is never reported as a clean finish", () => {
  it("an `event: error` after text ends the stream with an error event and no [DONE]; the log says error", async () => {
    const seen = lines.length;
    upstream.reply({ body: [...textReply(["Hello"]).slice(0, 2), 'event: error\ndata: {"error":{"type":"server_error","code":"overloaded","message":"secret prompt text"}}\n\n'] });
    const response = await chat({ stream: true });
    expect(response.status).toBe(200);
    const data = await events(response);
    expect(data).not.toContain("[DONE]");
    expect(data.map((event) => JSON.parse(event).choices?.[0]?.delta.content ?? "").join("")).toBe("Hello");
    const last = JSON.parse(data.at(-1)!);
    expect(last.error).toMatchObject({ code: "upstream_error", message: expect.stringContaining("overloaded") });
    expect(data.join("")).not.toContain("secret prompt text");
    expect(await lineAfter(seen)).toMatchObject({ outcome: "error", code: "upstream_error", detail: expect.stringContaining("code=overloaded") });
  });

  it('finish_reason "error" is a failure, not a stop, on Spec 1 and Spec 2', async () => {
    const failing = { body: sseEvents([upstreamChunk({ content: "Partial" }), upstreamChunk({}, "error")]) };
    upstream.reply(failing);
    const data = await events(await chat({ stream: true }));
    expect(data).not.toContain("[DONE]");
    expect(JSON.parse(data.at(-1)!).error.code).toBe("upstream_error");
    upstream.reply(failing);
    const response = await spec2();
    expect(response.status).toBe(502);
    expect((await response.json()).Code).toBe("UpstreamError");
  });
});

describe("6. errors keep their cause", () => {
  it("an error event before any text is an HTTP error; a rate limit is a 429 with Retry-After, on both routes", async () => {
    upstream.reply({ body: [fixture("proxy-error-event.sse")] });
    const response = await chat({ stream: true });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = await response.json();
    expect(schemaViolation("openai-error", body)).toBeNull();
    expect(body.error).toMatchObject({ code: "upstream_rate_limited", message: expect.stringContaining("rate_limit_exceeded") });
    expect(body.error.message).not.toMatch(/prompt was|hello/);
    upstream.reply({ body: [fixture("proxy-error-event.sse")] });
    const form = await spec2();
    expect(form.status).toBe(429);
    expect((await form.json()).Code).toBe("Throttling.Upstream");
  });

  it("an HTTP 200 with a JSON error body names the provider's code, in the answer and the log", async () => {
    const seen = lines.length;
    upstream.reply({ headers: { "content-type": "application/json" }, body: [fixture("dashscope-200-error.json")] });
    const response = await chat({ stream: true });
    expect(response.status).toBe(502);
    const { error } = await response.json();
    expect(error.message).toContain("invalid_api_key");
    expect(error.message).not.toContain("Incorrect API key");
    expect(await lineAfter(seen)).toMatchObject({ code: "upstream_error", detail: "HTTP 200 error body type=invalid_request_error code=invalid_api_key" });
  });

  it("a provider code that is not a short token is left out, never repeated", async () => {
    const seen = lines.length;
    upstream.reply({ status: 400, headers: { "content-type": "application/json" }, body: ['{"error":{"code":"bad <script> sk-live-123 key","type":"x\\ny"}}'] });
    const response = await chat({ stream: true });
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(text).not.toMatch(/script|sk-live|x\\ny/);
    expect(JSON.stringify(await lineAfter(seen))).not.toMatch(/script|sk-live/);
  });

  it("a whole chat.completion answered to a streaming request is the reply, streamed on Spec 1", async () => {
    upstream.reply({ headers: { "content-type": "application/json; charset=utf-8" }, body: [fixture("whole-completion.json")] });
    const response = await chat({ stream: true });
    expect(response.status).toBe(200);
    const data = await events(response);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((event) => JSON.parse(event));
    for (const chunk of chunks) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("Whole answer.");
    expect(chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])).toEqual([{ index: 0, id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }]);
  });

  it("Retry-After of 1e300 from the upstream is a bounded integer, not 1e+300", async () => {
    upstream.reply({ status: 429, headers: { "content-type": "application/json", "retry-after": "1e300" }, body: ['{"error":{"code":"rate_limit_exceeded"}}'] });
    const response = await chat({ stream: true });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toMatch(/^\d{1,6}$/);
  });
});

describe("2. tool calls re-framed into the strict chunk contract", () => {
  it("DashScope's empty id and null name/arguments never reach the caller; every chunk passes the published schema", async () => {
    upstream.reply({ body: [fixture("dashscope-tool-calls.sse")] });
    const data = await events(await chat({ stream: true, stream_options: { include_usage: true } }));
    const chunks = data.slice(0, -1).map((event) => JSON.parse(event));
    for (const chunk of chunks) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: "call_6b3a9f1c2d4e4f5a8b7c0d", type: "function", function: { name: "get_current_weather", arguments: '{"location":' } });
    for (const call of calls.slice(1)) expect(call).toEqual({ index: 0, function: { arguments: expect.any(String) } });
  });

  it("upstream indexes of 1e300, 1.5 and 4294967294 become 0, 1, 2, and collecting them costs no time", async () => {
    const call = (index: number, name: string) => upstreamChunk({ tool_calls: [{ index, id: `call_${name}`, type: "function", function: { name, arguments: "{}" } }] });
    const body = sseEvents([call(1e300, "a"), call(1.5, "b"), call(4294967294, "c"), call(100000000, "d"), upstreamChunk({}, "tool_calls")]);
    upstream.reply({ body });
    const data = await events(await chat({ stream: true }));
    const chunks = data.slice(0, -1).map((event) => JSON.parse(event));
    for (const chunk of chunks) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();
    expect(chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []).map((each: { index: number }) => each.index)).toEqual([0, 1, 2, 3]);
    upstream.reply({ body });
    const started = performance.now();
    const response = await chat({ stream: false });
    expect(performance.now() - started).toBeLessThan(1000);
    const completion = await response.json();
    expect(completion.choices[0].message.tool_calls.map((each: { function: { name: string } }) => each.function.name)).toEqual(["a", "b", "c", "d"]);
  });

  it("stream: false assembles a name repeated on every chunk once, as a streaming client would", async () => {
    upstream.reply({ body: [fixture("repeated-name-tool-call.sse")] });
    const completion = await (await chat({ stream: false })).json();
    expect(completion.choices[0].message.tool_calls).toEqual([{ id: "call_r1", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }]);
  });
});

describe("5. usage and timing", () => {
  it("a usage-only chunk is not a first token: a model that sends only usage meets the first-token timeout (504)", async () => {
    upstream.reply({ body: [`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 } })}\n\n`, "hang"] });
    const response = await chat({ stream: true });
    expect(response.status).toBe(504);
    expect((await response.json()).error.code).toBe("upstream_timeout");
  });

  it("stream: false asks the upstream for usage and returns it", async () => {
    upstream.reply({ body: [fixture("openai-text-usage.sse")] });
    const completion = await (await chat({ stream: false })).json();
    expect(JSON.parse(upstream.requests.at(-1)!.body).stream_options).toEqual({ include_usage: true });
    expect(completion.usage).toEqual({ prompt_tokens: 19, completion_tokens: 9, total_tokens: 28 });
    expect(schemaViolation("openai-chat-completion", completion)).toBeNull();
  });

  it("Groq's usage in x_groq reaches a caller that asked for usage", async () => {
    upstream.reply({ body: [fixture("groq-x-groq.sse")] });
    const data = await events(await chat({ stream: true, stream_options: { include_usage: true } }));
    expect(JSON.parse(data.at(-2)!).usage).toEqual({ prompt_tokens: 40, completion_tokens: 5, total_tokens: 45 });
  });
});

describe("3 and 4. what the model meant to say is spoken, its thinking is not", () => {
  it("a refusal, content parts and a leading <think> block, through the openai SDK on Spec 1 and on Spec 2", async () => {
    const client = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
    for (const [file, text] of [
      ["openai-refusal.sse", "I'm sorry, I can't help with that."],
      ["mistral-content-parts.sse", "Bonjour !"],
      ["ollama-think-content.sse", "Hi there! 👋"],
    ] as const) {
      upstream.reply({ body: [fixture(file)] });
      const completion = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
      expect(completion.choices[0]!.message.content).toBe(text);
      upstream.reply({ body: [fixture(file)] });
      expect(await (await spec2()).json()).toEqual({ Text: text });
    }
  });
});

describe("7. requests real callers send", () => {
  it("JSON null in every optional field is accepted and nothing null is forwarded", async () => {
    upstream.reply({ body: textReply(["ok"]) });
    const nulls = Object.fromEntries(
      ["temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop", "presence_penalty", "frequency_penalty", "seed", "user", "tools", "tool_choice", "parallel_tool_calls", "response_format", "stream_options", "extendData"].map((key) => [key, null]),
    );
    const response = await chat({ stream: true, ...nulls, messages: [{ role: "user", content: "hi", name: null }, { role: "assistant", content: null, tool_calls: null, name: null }, { role: "user", content: "again" }] });
    expect(response.status).toBe(200);
    await response.text();
    const sent = JSON.parse(upstream.requests.at(-1)!.body);
    expect(sent).toEqual({ model: "m", stream: true, messages: expect.any(Array) });
  });

  it("IMS's plugin role and a tool result without tool_call_id are sent upstream as user turns", async () => {
    upstream.reply({ body: textReply(["ok"]) });
    const response = await chat({ stream: true, messages: [{ role: "user", content: "weather?" }, { role: "plugin", content: "sunny" }, { role: "tool", content: "22C" }] });
    expect(response.status).toBe(200);
    await response.text();
    expect(JSON.parse(upstream.requests.at(-1)!.body).messages).toEqual([
      { role: "user", content: "weather?" },
      { role: "user", content: "sunny" },
      { role: "user", content: "22C" },
    ]);
  });
});
