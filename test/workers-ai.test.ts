// MODEL_PROVIDER=workers-ai with a stand-in AI binding (a wrapped binding in the worker's
// isolate, as the real one is) whose run() streams from a loopback server speaking Workers
// AI's event format.
import { performance } from "node:perf_hooks";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeUpstream, textReply, type FakeUpstream } from "./support/fake-upstream.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

const MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
const aiEvent = (event: object) => `data: ${JSON.stringify(event)}\n\n`;
const aiReply = (pieces: readonly string[]) => [
  ...pieces.map((piece) => aiEvent({ response: piece, p: "abcdefghijklmnopqrstuvwxyz0123456789" })),
  aiEvent({ response: "", usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } }),
  "data: [DONE]\n\n",
];
const pieces = ["Hi", " there", ", 你好", " 👋", "."];

let upstream: FakeUpstream;
let worker: RunningWorker;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  worker = await startWorker(
    { MODEL_PROVIDER: "workers-ai", WORKERS_AI_MODEL: MODEL, FIRST_TOKEN_TIMEOUT_MS: "1000", IDLE_TIMEOUT_MS: "1000" },
    { aiUpstreamUrl: `${upstream.url}/ai/run` },
  );
  client = new OpenAI({ baseURL: `${worker.directUrl}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await worker?.dispose();
  await upstream?.close();
});

describe("workers-ai provider", () => {
  it("streams the model's text through the openai SDK, with usage, running WORKERS_AI_MODEL", async () => {
    upstream.reply({ body: aiReply(pieces) });
    const stream = await client.chat.completions.create({
      model: "ims-model-id",
      stream: true,
      temperature: 0.2,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Hello" }, { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/" } }] },
      ],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(pieces.join(""));
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason).map((chunk) => chunk.choices[0]!.finish_reason)).toEqual(["stop"]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(JSON.parse(upstream.requests.at(-1)!.body)).toEqual({
      model: MODEL,
      inputs: { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello" }], stream: true, temperature: 0.2 },
    });
  });

  it("answers Spec 2 with the same text", async () => {
    upstream.reply({ body: aiReply(pieces) });
    const response = await fetch(`${worker.url}/`, { method: "POST", body: new URLSearchParams({ Message: '[{"role":"user","content":"Hello"}]', Token: TEST_IMS_TOKEN }) });
    expect(await response.json()).toEqual({ Text: pieces.join("") });
  });

  it("reads the OpenAI-style chunks that newer Workers AI models stream", async () => {
    upstream.reply({ body: textReply(["Same", " stream"]) });
    const completion = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]!.message.content).toBe("Same stream");
  });

  it("a failing run() is retried once, then a 502 in the caller's format", async () => {
    upstream.reply({ status: 500, headers: { "content-type": "application/json" }, body: ['{"errors":[{"message":"3040: Capacity temporarily exceeded"}]}'] });
    const before = upstream.requests.length;
    await expect(client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 502, code: "upstream_unavailable" });
    expect(upstream.requests.length - before).toBe(2);
  });

  it("a stream cut before [DONE] ends in an error event, not a finished reply", async () => {
    upstream.reply({ body: aiReply(pieces).slice(0, 2) });
    const stream = await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    const read = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    };
    await expect(read()).rejects.toMatchObject({ error: { code: "upstream_error" } });
    expect(text).toBe("Hi there");
  });

  it("a caller hanging up mid-stream closes the connection behind the binding", async () => {
    const endless = [aiEvent({ response: "Once" }), ...Array.from({ length: 2000 }, () => [{ wait: 20 }, aiEvent({ response: " more" })]).flat()];
    upstream.reply({ body: endless });
    const stream = await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: "story" }] });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content === " more") break;
    const abortedAt = performance.now();
    const closedAt = await Promise.race([upstream.requests.at(-1)!.closed, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 2000))]);
    console.log(`barge-in workers-ai mid-stream: upstream closed ${(closedAt - abortedAt).toFixed(1)} ms after the client aborted`);
    expect(closedAt - abortedAt).toBeLessThan(2000);
  });
});
