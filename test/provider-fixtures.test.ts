// Every recorded provider stream (test/fixtures/provider-fixtures.ts) replayed through the
// upstream reader whole, at every split point and one byte per read: what the caller must
// receive must not depend on how the network cut the stream.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiError } from "../worker/http/api-error.ts";
import { OpenaiChunkDeltas } from "../worker/providers/openai-chunks.ts";
import type { Delta } from "../worker/providers/provider.ts";
import { wholeReplyEvents } from "../worker/providers/whole-reply-events.ts";
import { UpstreamEvents } from "../worker/sse/upstream-events.ts";
import { providerFixtures, type ExpectedReply } from "./fixtures/provider-fixtures.ts";
import { root } from "./support/paths.ts";

const MAX_EVENT_BYTES = 1024 * 1024;

interface Received {
  text: string;
  toolCalls: { id: string; name: string; arguments: string; extraContent?: unknown }[];
  usage: { promptTokens: number; completionTokens: number } | undefined;
  finish: string | undefined;
  error: { code: string; message: string; retryAfter: number | undefined } | undefined;
}

const streamOf = (pieces: readonly Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });

/** Reads a stream as a strict client would assemble it, checking the invariants of the deltas on the way. */
async function receive(open: () => Promise<ReadableStream<Uint8Array>>): Promise<Received> {
  const out: Received = { text: "", toolCalls: [], usage: undefined, finish: undefined, error: undefined };
  const apply = (delta: Delta) => {
    if (delta.kind === "text") out.text += delta.text;
    else if (delta.kind === "tool_call") {
      // Calls are numbered in order, and only a call's first delta carries its id and name.
      expect(delta.index).toBeLessThanOrEqual(out.toolCalls.length);
      if (delta.index === out.toolCalls.length) {
        expect(delta.id).toEqual(expect.any(String));
        out.toolCalls.push({ id: delta.id!, name: delta.name ?? "", arguments: "" });
      } else {
        expect(delta.id).toBeUndefined();
        expect(delta.name).toBeUndefined();
      }
      const call = out.toolCalls[delta.index]!;
      call.arguments += delta.arguments ?? "";
      if (delta.extraContent) {
        // Passed on once per value: a server that repeats it is not echoed twice.
        expect(delta.extraContent).not.toEqual(call.extraContent);
        call.extraContent = delta.extraContent;
      }
    } else if (delta.kind === "finish") out.finish ??= delta.reason;
    else out.usage = { promptTokens: delta.promptTokens, completionTokens: delta.completionTokens };
  };
  try {
    for await (const batch of new UpstreamEvents(open, new OpenaiChunkDeltas(), MAX_EVENT_BYTES)) {
      expect(batch.length).toBeGreaterThan(0);
      batch.forEach(apply);
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    out.error = { code: error.code, message: error.message, retryAfter: error.retryAfter };
  }
  return out;
}

/** What the caller must receive, in the shape receive() reports. */
function expected(fixture: ExpectedReply) {
  return {
    text: fixture.text,
    toolCalls: fixture.toolCalls.map((call) => ({ ...call, id: call.id ?? expect.stringMatching(/^call_/) })),
    usage: fixture.usage,
    finish: fixture.finish,
    error: fixture.error && {
      code: fixture.error.code,
      message: expect.stringContaining(`(${fixture.error.named})`),
      retryAfter: fixture.error.status === 429 ? expect.any(Number) : undefined,
    },
  };
}

describe("recorded provider streams, read at every split point", () => {
  for (const fixture of providerFixtures) {
    const bytes = new Uint8Array(readFileSync(join(root, "test", "fixtures", fixture.file)));
    if (fixture.contentType === "application/json") {
      it(`${fixture.file}: a JSON answer is read as the reply or error it is`, async () => {
        const response = new Response(bytes, { headers: { "content-type": fixture.contentType! } });
        expect(await receive(() => wholeReplyEvents(response, MAX_EVENT_BYTES))).toEqual(expected(fixture));
      });
      continue;
    }

    it(`${fixture.file}: read whole`, async () => {
      expect(await receive(async () => streamOf([bytes]))).toEqual(expected(fixture));
    });

    it(`${fixture.file}: split in two at each of its ${bytes.length - 1} inner points`, async () => {
      const want = expected(fixture);
      for (let at = 1; at < bytes.length; at++) {
        const received = await receive(async () => streamOf([bytes.subarray(0, at), bytes.subarray(at)]));
        expect(received, `split at byte ${at}`).toEqual(want);
      }
    });

    it(`${fixture.file}: one byte per read`, async () => {
      expect(await receive(async () => streamOf(Array.from(bytes, (byte) => Uint8Array.of(byte))))).toEqual(expected(fixture));
    });
  }

  it("never repeats the provider's free-text error message", async () => {
    for (const fixture of providerFixtures.filter((each) => each.error)) {
      const bytes = readFileSync(join(root, "test", "fixtures", fixture.file));
      const open = fixture.contentType ? () => wholeReplyEvents(new Response(bytes, { headers: { "content-type": "application/json" } }), MAX_EVENT_BYTES) : async () => streamOf([bytes]);
      const { error } = await receive(open);
      expect(error?.message).not.toMatch(/password|sk-or|prompt was|Incorrect API key/);
    }
  });
});
