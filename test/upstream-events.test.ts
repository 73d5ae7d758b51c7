// Recorded upstream streams replayed at every split point, including inside multi-byte
// characters and between \r and \n: the deltas must not depend on how the network cut them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OpenaiChunkDeltas } from "../worker/providers/openai-chunk-deltas.ts";
import type { Delta } from "../worker/providers/provider.ts";
import { UpstreamEvents } from "../worker/stream/upstream-events.ts";
import { root } from "./support/paths.ts";

const MAX_EVENT_BYTES = 1024 * 1024;

interface Summary {
  text: string;
  toolCalls: { index: number; id: string; name: string; arguments: string }[];
  finish: string | undefined;
  usage: { promptTokens: number; completionTokens: number } | undefined;
}

const fixtures: Record<string, Summary> = {
  "vllm-tool-calls.sse": {
    text: 'Okay, goodbye! <imsagent_hangup endword="Bye"/>',
    toolCalls: [{ index: 0, id: "chatcmpl-tool-3b1e", name: "hangup", arguments: '{"reason": "user said bye"}' }],
    finish: "tool_calls",
    usage: { promptTokens: 57, completionTokens: 24 },
  },
  "dashscope-reasoning.sse": {
    // The reasoning is not part of what is spoken.
    text: "明天杭州晴，最高气温 22°C。🌤",
    toolCalls: [],
    finish: "stop",
    usage: { promptTokens: 31, completionTokens: 18 },
  },
  "ollama-crlf-pings.sse": { text: "Sure — here it is: naïve café ☕", toolCalls: [], finish: "stop", usage: undefined },
};

const streamOf = (pieces: readonly Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });

async function summarise(pieces: readonly Uint8Array[]): Promise<{ summary: Summary; batches: number }> {
  const summary: Summary = { text: "", toolCalls: [], finish: undefined, usage: undefined };
  let batches = 0;
  const apply = (delta: Delta) => {
    if (delta.kind === "text") summary.text += delta.text;
    else if (delta.kind === "tool_call") {
      const call = (summary.toolCalls[delta.index] ??= { index: delta.index, id: "", name: "", arguments: "" });
      call.id += delta.id ?? "";
      call.name += delta.name ?? "";
      call.arguments += delta.arguments ?? "";
    } else if (delta.kind === "finish") summary.finish ??= delta.reason;
    else summary.usage = { promptTokens: delta.promptTokens, completionTokens: delta.completionTokens };
  };
  for await (const batch of new UpstreamEvents(async () => streamOf(pieces), new OpenaiChunkDeltas(), MAX_EVENT_BYTES)) {
    batches++;
    expect(batch.length).toBeGreaterThan(0);
    batch.forEach(apply);
  }
  return { summary, batches };
}

describe("recorded upstream streams", () => {
  for (const [name, expected] of Object.entries(fixtures)) {
    const bytes = new Uint8Array(readFileSync(join(root, "test", "fixtures", name)));

    it(`${name}: read whole`, async () => {
      expect((await summarise([bytes])).summary).toEqual(expected);
    });

    it(`${name}: split in two at each of its ${bytes.length - 1} inner points`, async () => {
      for (let at = 1; at < bytes.length; at++) {
        const { summary } = await summarise([bytes.subarray(0, at), bytes.subarray(at)]);
        expect(summary, `split at byte ${at}`).toEqual(expected);
      }
    });

    it(`${name}: one byte per read, one batch per read that completes events`, async () => {
      const pieces = Array.from(bytes, (byte) => Uint8Array.of(byte));
      const { summary, batches } = await summarise(pieces);
      expect(summary).toEqual(expected);
      expect(batches).toBeLessThanOrEqual(bytes.length);
    });
  }

  it("yields one batch per read, however many events the read held", async () => {
    const bytes = new Uint8Array(readFileSync(join(root, "test", "fixtures", "vllm-tool-calls.sse")));
    const { batches } = await summarise([bytes]);
    expect(batches).toBe(1);
  });
});

describe("how an upstream stream ends", () => {
  const encoder = new TextEncoder();
  const chunk = (content: string, finish?: string) =>
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish ?? null }] })}`;

  /** Reads the stream to its end: the text it carried, and the error it ended with, if any. */
  async function readToEnd(text: string): Promise<{ text: string; error: unknown }> {
    let out = "";
    try {
      for await (const batch of new UpstreamEvents(async () => streamOf([encoder.encode(text)]), new OpenaiChunkDeltas(), MAX_EVENT_BYTES)) {
        for (const delta of batch) if (delta.kind === "text") out += delta.text;
      }
    } catch (error) {
      return { text: out, error };
    }
    return { text: out, error: undefined };
  }

  it("is complete at [DONE], and nothing after it is read", async () => {
    expect(await readToEnd(`${chunk("Hi")}\n\ndata: [DONE]\n\n${chunk(" there")}\n\n`)).toEqual({ text: "Hi", error: undefined });
  });

  it("is complete at its end after a finish_reason, even when the last event lacks its blank line", async () => {
    expect(await readToEnd(`${chunk("Hi")}\n\n${chunk("!", "stop")}`)).toEqual({ text: "Hi!", error: undefined });
  });

  it("is cut off when it ends with neither [DONE] nor a finish_reason: the text it carried, then an error", async () => {
    expect(await readToEnd(`${chunk("Hi")}\n\n`)).toEqual({ text: "Hi", error: expect.objectContaining({ code: "upstream_error" }) });
  });

  it("is cut off even when its last event, without its blank line, still carried text", async () => {
    expect(await readToEnd(`${chunk("Hi")}\n\n${chunk(" there")}`)).toEqual({ text: "Hi there", error: expect.objectContaining({ code: "upstream_error" }) });
  });
});
