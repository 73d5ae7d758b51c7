// MODEL_PROVIDER=openai against a real loopback model server, with the openai SDK as IMS.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullExtendData } from "../contracts/conformance/ims-requests.ts";
import { schemaViolation } from "../contracts/conformance/published-schemas.ts";
import { startFakeUpstream, textReply, type FakeUpstream } from "./support/fake-upstream.ts";
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
