// MODEL_PROVIDER=openai against a real loopback model server, with the openai SDK as IMS.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullExtendData } from "../contracts/conformance/ims-requests.ts";
import { schemaViolation } from "../contracts/conformance/published-schemas.ts";
import { sseEvents, startFakeUpstream, textReply, upstreamChunk, type FakeUpstream } from "./support/fake-upstream.ts";
import { root } from "./support/paths.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

const UPSTREAM_KEY = "sk-upstream-secret-1";
// Multi-byte text and an IMS hang-up tag, which must arrive untouched.
const pieces = ["Hello", " there, ", "你好 🙂.", " Goodbye! ", '<imsagent_hangup endword="Bye"/>'];
const replyText = pieces.join("");

// Every role IMS may send, a tool call and its answer, and an image part.
const conversation = [
  { role: "system", content: "You are a concise voice assistant." },
  { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } }] },
  { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }] },
  { role: "tool", tool_call_id: "call_1", content: "a cat" },
  { role: "assistant", content: "It is a cat.<ims_agent_interrupted>" },
  { role: "user", content: "Thanks, bye." },
] as const;

let upstream: FakeUpstream;
let worker: RunningWorker;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  worker = await startWorker({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1/`, UPSTREAM_API_KEY: UPSTREAM_KEY });
  client = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await worker?.dispose();
  await upstream?.close();
});

describe("openai provider, happy path", () => {
  it("streams the upstream's text unchanged through the openai SDK, forwarding the conversation faithfully", async () => {
    upstream.reply({ body: textReply(pieces) });
    const seen = upstream.requests.length;
    const stream = await client.chat.completions.create({
      model: "my-model",
      stream: true,
      temperature: 0.3,
      messages: conversation as unknown as OpenAI.ChatCompletionMessageParam[],
      // IMS's own field, and a field no OpenAI server knows: neither may reach the upstream.
      ...({ extendData: fullExtendData, imsFutureField: 1 } as object),
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(replyText);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks[0]!.id).not.toBe("chatcmpl-upstream-1");
    expect(chunks.every((chunk) => chunk.model === "my-model")).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    for (const chunk of chunks) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();

    expect(upstream.requests.length).toBe(seen + 1);
    const received = upstream.requests.at(-1)!;
    expect(received.path).toBe("/v1/chat/completions");
    expect(received.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    const body = JSON.parse(received.body);
    expect(body.messages).toEqual(conversation);
    expect(body).toEqual({ model: "my-model", messages: conversation, stream: true, temperature: 0.3 });
    expect(received.body).not.toContain("extendData");
    expect(received.body).not.toContain(TEST_API_KEY);
  });

  it("sends a batch as soon as the upstream sends it, and ends with the last batch, its finish and one [DONE]", async () => {
    const [role, hello, there, stop, done] = sseEvents([upstreamChunk({ role: "assistant", content: "" }), upstreamChunk({ content: "Hello" }), upstreamChunk({ content: " there" }), upstreamChunk({}, "stop")]);
    upstream.reply({ body: [role! + hello!, { wait: 1000 }, there! + stop! + done!] });
    const response = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "Hi" }] }),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const reads: { at: number; text: string }[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) reads.push({ at: performance.now(), text: decoder.decode(read.value, { stream: true }) });
    const all = reads.map((read) => read.text).join("");
    const helloAt = reads.find((read) => read.text.includes('"Hello"'))!.at;
    const doneAt = reads.find((read) => read.text.includes("[DONE]"))!.at;
    // Not held back until the upstream ends: the first text is out while the upstream still waits.
    expect(doneAt - helloAt).toBeGreaterThan(500);
    expect(all.indexOf('" there"')).toBeLessThan(all.indexOf('"finish_reason":"stop"'));
    expect(all.match(/\[DONE\]/g)).toHaveLength(1);
    expect(all.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("answers a Spec 2 call with the same text, as {Text}, without sending IMS context upstream", async () => {
    upstream.reply({ body: textReply(pieces) });
    const response = await fetch(`${worker.url}/`, {
      method: "POST",
      body: new URLSearchParams({
        Message: JSON.stringify([{ role: "user", content: "Thanks, bye." }]),
        Token: TEST_IMS_TOKEN,
        ExtendData: JSON.stringify({ InstanceId: "inst-1", UserData: "{}" }),
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ Text: replyText });
    const body = JSON.parse(upstream.requests.at(-1)!.body);
    expect(body.messages).toEqual([{ role: "user", content: "Thanks, bye." }]);
    expect(upstream.requests.at(-1)!.body).not.toContain("inst-1");
  });

  it("answers stream: false with the collected text", async () => {
    upstream.reply({ body: textReply(pieces) });
    const completion = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]!.message.content).toBe(replyText);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(JSON.parse(upstream.requests.at(-1)!.body).stream).toBe(true);
  });
});

/** Cuts bytes at pseudo-random points (a fixed seed, so a failure replays), with a pause after each piece so each is its own network read. */
function cut(bytes: Uint8Array, seed: number): (Uint8Array | { wait: number })[] {
  const steps: (Uint8Array | { wait: number })[] = [];
  let state = seed;
  for (let at = 0; at < bytes.length; ) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (state % 97);
    steps.push(bytes.subarray(at, at + size), { wait: 2 });
    at += size;
  }
  return steps;
}

describe("recorded upstream streams through the worker", () => {
  const fixture = (name: string) => new Uint8Array(readFileSync(join(root, "test", "fixtures", name)));

  it("vLLM: a hang-up tool call arrives intact, with the text, finish_reason tool_calls and usage", async () => {
    upstream.reply({ body: cut(fixture("vllm-tool-calls.sse"), 7) });
    const stream = await client.chat.completions.create({ model: "m", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "bye" }] });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    for (const chunk of chunks) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe('Okay, goodbye! <imsagent_hangup endword="Bye"/>');
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: "chatcmpl-tool-3b1e", type: "function", function: { name: "hangup" } });
    expect(calls.map((call) => call.function?.arguments ?? "").join("")).toBe('{"reason": "user said bye"}');
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason).map((chunk) => chunk.choices[0]!.finish_reason)).toEqual(["tool_calls"]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 57, completion_tokens: 24, total_tokens: 81 });
  });

  it("Gemini: a tool call's thought_signature reaches the caller once, and the openai SDK's message sent back carries it upstream", async () => {
    const signature = { google: { thought_signature: "CiQBcsjafQ==" } };
    upstream.reply({ body: cut(fixture("gemini-openai-tool-call.sse"), 3) });
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    const question: OpenAI.ChatCompletionMessageParam = { role: "user", content: "Weather in Sydney?" };
    const stream = client.chat.completions.stream({ model: "gemini-3-flash", messages: [question], tools });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    for (const chunk of chunks) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();
    // Gemini repeats the signature on a delta of its own; the caller gets it once, with the call.
    const sent = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []).filter((call) => "extra_content" in call);
    expect(sent).toEqual([expect.objectContaining({ index: 0, id: "function-call-1428771398157946402", extra_content: signature })]);
    const message = (await stream.finalChatCompletion()).choices[0]!.message;
    expect(message.tool_calls).toEqual([expect.objectContaining({ function: { name: "get_weather", arguments: '{"location":"Sydney"}' }, extra_content: signature })]);

    // Gemini 3 refuses a next turn whose function call lacks its signature: the conversation is forwarded as it came.
    upstream.reply({ body: textReply(["Sunny."]) });
    const next = [question, message, { role: "tool", tool_call_id: message.tool_calls![0]!.id, content: "22°C, sunny" }] as OpenAI.ChatCompletionMessageParam[];
    const answer = await client.chat.completions.create({ model: "gemini-3-flash", stream: true, messages: next, tools });
    for await (const chunk of answer) void chunk;
    const forwarded = JSON.parse(upstream.requests.at(-1)!.body);
    expect(forwarded.messages[1].tool_calls[0].extra_content).toEqual(signature);
  });

  it("stream: false: a tool call's extra_content is in the collected message", async () => {
    upstream.reply({ body: cut(fixture("gemini-openai-tool-call.sse"), 2) });
    const completion = await client.chat.completions.create({ model: "gemini-3-flash", stream: false, messages: [{ role: "user", content: "Weather in Sydney?" }] });
    expect(schemaViolation("openai-chat-completion", completion)).toBeNull();
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      { id: "function-call-1428771398157946402", type: "function", function: { name: "get_weather", arguments: '{"location":"Sydney"}' }, extra_content: { google: { thought_signature: "CiQBcsjafQ==" } } },
    ]);
  });

  it("DashScope compatible mode: reasoning left out, Chinese text and emoji whole across cuts", async () => {
    for (const seed of [1, 2, 3]) {
      upstream.reply({ body: cut(fixture("dashscope-reasoning.sse"), seed) });
      const stream = await client.chat.completions.create({ model: "qwen-plus", stream: true, messages: [{ role: "user", content: "明天天气？" }] });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("明天杭州晴，最高气温 22°C。🌤");
    }
  });

  it("Ollama behind a proxy: pings and CRLF, exactly one [DONE]", async () => {
    upstream.reply({ body: cut(fixture("ollama-crlf-pings.sse"), 5) });
    const response = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "llama3.2", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    const events = (await response.text()).split("\n\n").filter(Boolean);
    expect(events.filter((event) => event === "data: [DONE]")).toHaveLength(1);
    expect(events.at(-1)).toBe("data: [DONE]");
    const text = events.slice(0, -1).map((event) => JSON.parse(event.slice("data: ".length)).choices[0].delta.content ?? "").join("");
    expect(text).toBe("Sure — here it is: naïve café ☕");
  });
});

describe("the request's log line", () => {
  const lines: { message: string; level: string }[] = [];
  let logged: RunningWorker;

  beforeAll(async () => {
    logged = await startWorker({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url, UPSTREAM_API_KEY: UPSTREAM_KEY }, { onLog: (line) => lines.push(line) });
  });
  afterAll(() => logged?.dispose());

  /** The worker's log reaches the test through a pipe, a little after the response. */
  async function parsed(count: number) {
    for (let waited = 0; lines.length < count && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50)); // and nothing more arrives
    return lines.map((line) => JSON.parse(line.message) as Record<string, unknown>);
  }

  it("is one JSON line per request, written when the stream ends, with ids and timings and no secret or content", async () => {
    lines.length = 0;
    upstream.reply({ body: [...textReply(["Secret", " plans"]).slice(0, 2), { wait: 300 }, ...textReply(["Secret", " plans"]).slice(2)] });
    const sdk = new OpenAI({ baseURL: `${logged.url}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
    const stream = await sdk.chat.completions.create({
      model: "m",
      stream: true,
      messages: [{ role: "user", content: "my password is hunter2" }],
      ...({ extendData: fullExtendData } as object),
    });
    for await (const _ of stream);

    const written = await parsed(1);
    expect(written).toHaveLength(1);
    const line = written[0]!;
    expect(line).toMatchObject({
      level: "info",
      route: "spec1",
      provider: "openai",
      instanceId: fullExtendData.instanceId,
      channelId: fullExtendData.channelId,
      sentenceId: fullExtendData.sentenceId,
      status: 200,
      outcome: "ok",
    });
    // One batch per upstream read that carried text or a finish: "Secret" before the pause, then " plans" and the
    // finish, in one read or two as the network delivers them.
    expect([2, 3]).toContain(line.chunks);
    expect(line.ttftMs).toBeLessThan(line.durationMs as number);
    // The upstream paused 300 ms after the first token: the line was written after the stream, not with the headers.
    expect(line.durationMs).toBeGreaterThanOrEqual(300);
    for (const secret of [UPSTREAM_KEY, TEST_API_KEY, "hunter2", "Secret", "plans"]) expect(lines[0]!.message).not.toContain(secret);
  });

  it("names the failure by code and internal detail, without the upstream's message", async () => {
    lines.length = 0;
    upstream.reply({ status: 400, headers: { "content-type": "application/json" }, body: ['{"error":{"message":"messages[0].content hunter2 is bad","type":"invalid_request_error","code":"bad_content"}}'] });
    const response = await fetch(`${logged.url}/`, { method: "POST", body: new URLSearchParams({ Message: '[{"role":"user","content":"hunter2"}]', Token: TEST_IMS_TOKEN }) });
    expect(response.status).toBe(502);
    expect(await parsed(1)).toEqual([
      expect.objectContaining({ level: "error", route: "spec2", status: 502, outcome: "error", code: "upstream_error", detail: "upstream HTTP 400 type=invalid_request_error code=bad_content" }),
    ]);
    expect(lines[0]!.message).not.toContain("hunter2");
  });
});
