// How the upstream reader batches a stream's events and decides how it ended: complete, cut
// off, or failed as the upstream said.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpenaiChunkDeltas } from "../worker/providers/openai-chunks.ts";
import { UpstreamEvents } from "../worker/sse/upstream-events.ts";
import { root } from "./support/paths.ts";

const MAX_EVENT_BYTES = 1024 * 1024;

const streamOf = (pieces: readonly Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });

// Each provider's recorded stream is replayed at every split point in provider-fixtures.test.ts.
describe("batches", () => {
  it("yields one batch per read, however many events the read held", async () => {
    const bytes = new Uint8Array(readFileSync(join(root, "test", "fixtures", "vllm-tool-calls.sse")));
    let batches = 0;
    for await (const _ of new UpstreamEvents(async () => streamOf([bytes]), new OpenaiChunkDeltas(), MAX_EVENT_BYTES)) batches++;
    expect(batches).toBe(1);
  });
});

describe("drained: whether the next read ends the stream", () => {
  const encoder = new TextEncoder();
  const event = (content: string, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
  const reads = (...texts: string[]) => async () => streamOf(texts.map((text) => encoder.encode(text)));

  it("is true once the batch that held [DONE] is out, and only then", async () => {
    const events = new UpstreamEvents(reads(event("Hel"), `${event("lo", "stop")}data: [DONE]\n\n`), new OpenaiChunkDeltas(), MAX_EVENT_BYTES);
    expect((await events.next()).done).toBe(false);
    expect(events.drained).toBe(false);
    expect((await events.next()).done).toBe(false);
    expect(events.drained).toBe(true);
    expect((await events.next()).done).toBe(true);
  });

  it("stays false for a stream that was cut off, which fails on the next read", async () => {
    const events = new UpstreamEvents(reads(event("Hel")), new OpenaiChunkDeltas(), MAX_EVENT_BYTES);
    expect((await events.next()).done).toBe(false);
    expect(events.drained).toBe(false);
    await expect(events.next()).rejects.toMatchObject({ code: "upstream_error" });
    expect(events.drained).toBe(false);
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

  it.each(["  ", "<thi", "\n<think"])("a reply that is only %j, held as a possible <think>, is spoken at [DONE] without a finish_reason", async (content) => {
    expect(await readToEnd(`${chunk(content)}\n\ndata: [DONE]\n\n`)).toEqual({ text: content, error: undefined });
  });

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

  it("fails as the upstream said, after the text that came before the error in the same read", async () => {
    const failed = await readToEnd(`${chunk("Hi")}\n\nevent: error\ndata: {"error":{"code":"overloaded"}}\n\n${chunk(" more")}\n\n`);
    expect(failed).toEqual({ text: "Hi", error: expect.objectContaining({ code: "upstream_error", message: expect.stringContaining("overloaded") }) });
  });

  it("fails at an event: error even when its data is not JSON, without repeating that data", async () => {
    const failed = await readToEnd("event: error\ndata: upstream said: my secret\n\n");
    expect(failed.error).toMatchObject({ code: "upstream_error" });
    expect((failed.error as Error).message).not.toContain("secret");
  });

  it("holds a usage-only event back until the reply starts, then hands it out with the text", async () => {
    const usage = `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 0 } })}`;
    const pieces = [`${usage}\n\n`, `${chunk("Hi", "stop")}\n\n`].map((piece) => encoder.encode(piece));
    const batches: string[][] = [];
    for await (const batch of new UpstreamEvents(async () => streamOf(pieces), new OpenaiChunkDeltas(), MAX_EVENT_BYTES)) batches.push(batch.map((delta) => delta.kind));
    expect(batches).toEqual([["usage", "text", "finish"]]);
  });
});

describe("decoding an upstream stream", () => {
  const encoder = new TextEncoder();

  /** The text of a stream of content events cut into reads at the given byte offsets. */
  async function textOf(contents: readonly string[], cuts: readonly number[]): Promise<string> {
    const body = encoder.encode(`${contents.map((content) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`).join("")}data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`);
    const at = [...new Set(cuts.map((cut) => cut % body.length))].sort((a, b) => a - b);
    const pieces = [0, ...at].map((start, i) => body.subarray(start, at[i] ?? body.length)).filter((piece) => piece.length > 0);
    let out = "";
    for await (const batch of new UpstreamEvents(async () => streamOf(pieces), new OpenaiChunkDeltas(), MAX_EVENT_BYTES)) {
      for (const delta of batch) if (delta.kind === "text") out += delta.text;
    }
    return out;
  }

  it("drops the stream's own leading BOM, however the reads are cut", async () => {
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "🙂 hi" } }] })}\n\ndata: [DONE]\n\n`)]);
    const emoji = body.indexOf(0xf0);
    for (const cuts of [[], [2], [emoji + 2], [1, emoji + 1]]) {
      const pieces = [0, ...cuts].map((start, i) => body.subarray(start, cuts[i] ?? body.length));
      let out = "";
      for await (const batch of new UpstreamEvents(async () => streamOf(pieces), new OpenaiChunkDeltas(), MAX_EVENT_BYTES)) {
        for (const delta of batch) if (delta.kind === "text") out += delta.text;
      }
      expect(out, `cut at ${cuts.join(",")}`).toBe("🙂 hi");
    }
  });

  it("reads the same text however ASCII and multi-byte reads alternate, U+FEFF after an ASCII read included", async () => {
    // A U+FEFF in the text is text, also when it opens a read that follows ASCII-only reads, or
    // the first read that ends inside a character (where the stream's own decoder is made).
    const first = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Hi" } }] })}\n\n`.length;
    expect(await textOf(["Hi", "\ufeff", "ok"], [first, first + 'data: {"choices":[{"index":0,"delta":{"content":"'.length])).toBe("Hi\ufeffok");
    const feff = first + 'data: {"choices":[{"index":0,"delta":{"content":"'.length;
    expect(await textOf(["Hi", "\ufeff🙂"], [feff, feff + 5])).toBe("Hi\ufeff🙂");
    const content = fc.array(fc.oneof(fc.string({ unit: "grapheme-ascii" }), fc.string({ unit: "grapheme" }), fc.constantFrom("\ufeff", "你好", "🙂", "é")), { minLength: 1, maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(content, fc.array(fc.nat(), { maxLength: 12 }), async (contents, cuts) => {
        expect(await textOf(contents, cuts)).toBe(contents.join(""));
      }),
      { numRuns: 300 },
    );
  });

  it("replaces a broken character with U+FFFD where it stood, also when an ASCII read follows it", async () => {
    const head = encoder.encode('data: {"choices":[{"index":0,"delta":{"content":"a');
    // The first byte of 你 (E4 BD A0) alone, then ASCII: the character was never finished.
    const pieces = [head, new Uint8Array([0xe4]), encoder.encode('b"}}]}\n\ndata: [DONE]\n\n')];
    let out = "";
    for await (const batch of new UpstreamEvents(async () => streamOf(pieces), new OpenaiChunkDeltas(), MAX_EVENT_BYTES)) {
      for (const delta of batch) if (delta.kind === "text") out += delta.text;
    }
    expect(out).toBe("a\ufffdb");
  });
});
