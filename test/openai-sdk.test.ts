// The official openai SDK as IMS's stand-in: what a strict client makes of the stream.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docChatRequest, fullExtendData } from "../contracts/conformance/ims-requests.ts";
import { schemaViolation } from "../contracts/conformance/published-schemas.ts";
import { startWorker, TEST_API_KEY, type RunningWorker } from "./support/start-worker.ts";

let worker: RunningWorker;
let client: OpenAI;

beforeAll(async () => {
  worker = await startWorker();
  client = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
});
afterAll(() => worker?.dispose());

describe("openai SDK against the worker", () => {
  it("streams the demo reply with one id and finish_reason stop", async () => {
    // extendData is IMS's extra body field; the SDK sends unknown fields as they are.
    const request = {
      model: "abc",
      stream: true as const,
      messages: [{ role: "user" as const, content: "What will the weather be like tomorrow?" }],
      extendData: fullExtendData,
    };
    const stream = await client.chat.completions.create(request);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(3);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(new Set(chunks.map((chunk) => chunk.created)).size).toBe(1);
    expect(chunks.every((chunk) => chunk.model === "abc")).toBe(true);
    for (const chunk of chunks) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(
      'This is the ims-llm-edge demo model. You said: "What will the weather be like tomorrow?". Set MODEL_PROVIDER to connect your own model.',
    );
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason).length).toBe(1);
  });

  it("reports usage in a final chunk with empty choices only when asked", async () => {
    const stream = await client.chat.completions.create({
      ...(docChatRequest("abc") as { model: string }),
      messages: [{ role: "user", content: "count me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last.usage?.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
  });

  it("answers stream: false with one chat.completion", async () => {
    const completion = await client.chat.completions.create({ model: "abc", messages: [{ role: "user", content: "hi" }] });
    expect(schemaViolation("openai-chat-completion", completion)).toBeNull();
    expect(completion.choices[0]!.message.content).toContain('You said: "hi"');
    expect(completion.choices[0]!.finish_reason).toBe("stop");
  });

  it("surfaces a wrong key as the SDK's AuthenticationError", async () => {
    const wrong = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: "abc", stream: true, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });
});
