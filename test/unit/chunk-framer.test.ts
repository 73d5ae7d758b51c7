import { describe, expect, it } from "vitest";
import { schemaViolation } from "../../contracts/conformance/published-schemas.ts";
import { ApiError } from "../../worker/http/api-error.ts";
import { ChunkFramer } from "../../worker/sse/chunk-framer.ts";

const events = (text: string) =>
  text
    .split("\n\n")
    .filter(Boolean)
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      const data = event.slice("data: ".length);
      return data === "[DONE]" ? data : (JSON.parse(data) as Record<string, unknown>);
    });

const chunks = (text: string) => events(text).filter((event): event is Record<string, unknown> => event !== "[DONE]");

describe("ChunkFramer", () => {
  it("opens with the role chunk, frames text and tool calls, ends with one finish and one [DONE]", () => {
    const framer = new ChunkFramer("chatcmpl-1", 1700000000, "m", false);
    const out =
      framer.frame([{ kind: "text", text: "Hel" }]) +
      framer.frame([{ kind: "text", text: "lo \"quoted\" \u2028 你好" }, { kind: "text", text: "" }]) +
      framer.frame([{ kind: "tool_call", index: 0, id: "call_1", name: "hangup", arguments: "{}" }]) +
      framer.end();
    const all = events(out);
    expect(all.at(-1)).toBe("[DONE]");
    expect(all.filter((event) => event === "[DONE]")).toHaveLength(1);
    const list = chunks(out);
    for (const chunk of list) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();
    expect(list.map((chunk) => (chunk.choices as { delta: unknown }[])[0]!.delta)).toEqual([
      { role: "assistant", content: "" },
      { content: "Hel" },
      { content: 'lo "quoted" \u2028 你好' },
      { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "hangup", arguments: "{}" } }] },
      {},
    ]);
    expect((list.at(-1)!.choices as { finish_reason: string }[])[0]!.finish_reason).toBe("tool_calls");
  });

  it("keeps the model's own finish_reason and drops anything after it but usage", () => {
    const framer = new ChunkFramer("id", 1, "m", true);
    const out =
      framer.frame([{ kind: "text", text: "a" }, { kind: "finish", reason: "length" }, { kind: "text", text: "late" }, { kind: "finish", reason: "stop" }]) +
      framer.frame([{ kind: "usage", promptTokens: 3, completionTokens: 4 }]) +
      framer.end();
    const list = chunks(out);
    const reasons = list.flatMap((chunk) => (chunk.choices as { finish_reason: string | null }[]).map((choice) => choice.finish_reason)).filter(Boolean);
    expect(reasons).toEqual(["length"]);
    expect(JSON.stringify(list)).not.toContain("late");
    expect(list.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    for (const chunk of list) expect(schemaViolation("openai-chat-chunk", chunk)).toBeNull();
  });

  it("sends usage only when the request asked for it", () => {
    const framer = new ChunkFramer("id", 1, "m", false);
    const out = framer.frame([{ kind: "usage", promptTokens: 1, completionTokens: 1 }]) + framer.end();
    expect(chunks(out).every((chunk) => !("usage" in chunk))).toBe(true);
  });

  it("fails with one error event in the published error shape and no [DONE]", () => {
    const framer = new ChunkFramer("id", 1, "m", false);
    const out = framer.frame([{ kind: "text", text: "partial" }]) + framer.fail(new ApiError("upstream_timeout", "The model stopped answering."));
    const all = events(out);
    expect(all).not.toContain("[DONE]");
    const last = all.at(-1) as Record<string, unknown>;
    expect(schemaViolation("openai-error", last)).toBeNull();
    expect(last).toMatchObject({ error: { code: "upstream_timeout" } });
  });

  it("escapes ids and model names it did not choose", () => {
    const framer = new ChunkFramer('id"\n', 1, 'model"with\nnewline', false);
    const list = chunks(framer.end());
    expect(list[0]).toMatchObject({ id: 'id"\n', model: 'model"with\nnewline' });
  });
});
