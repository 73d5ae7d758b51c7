// The filter every reply's batches pass through: IMS's interruption marker never reaches the
// speech engine, however the stream splits it; untouched batches come back as the same array;
// held text comes out before a tool call or the finish, and at the reply's end.
import { describe, expect, it } from "vitest";
import { parseCallSettings } from "../../worker/config.ts";
import type { Delta } from "../../worker/providers/provider.ts";
import { ReplyFilter } from "../../worker/reply/reply-filter.ts";
import { INTERRUPTED_MARKER, InterruptedMarkerStrip } from "../../worker/voice/interrupted-marker.ts";

const filter = (vars: Record<string, string> = {}) => new ReplyFilter(parseCallSettings(vars).voice);

function textOf(strip: InterruptedMarkerStrip, pieces: readonly string[]) {
  let out = "";
  for (const piece of pieces) out += strip.push(piece);
  return out + strip.end();
}

const replies = [
  [`Sure${INTERRUPTED_MARKER}, as I said.`, "Sure, as I said."],
  [`${INTERRUPTED_MARKER}Hello ${INTERRUPTED_MARKER}${INTERRUPTED_MARKER}there`, "Hello there"],
  ['Bye. <imsagent_hangup endword="Bye"/>', 'Bye. <imsagent_hangup endword="Bye"/>'],
  ["a <ims_agent_interrupt b", "a <ims_agent_interrupt b"],
  ["x < y <ims_agent_interrupted", "x < y <ims_agent_interrupted"],
  ["<<ims_agent_interrupted>>", "<>"],
] as const;

describe("interrupted marker", () => {
  it.each(replies)("%j is said as %j at every pair of split points", (text, expected) => {
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b++) {
        expect(textOf(new InterruptedMarkerStrip(), [text.slice(0, a), text.slice(a, b), text.slice(b)]), `split at ${a}, ${b}`).toBe(expected);
      }
    }
    expect(textOf(new InterruptedMarkerStrip(), [...text])).toBe(expected);
  });

  it("is stripped with every setting off, and with speech cleanup on", () => {
    for (const vars of [{}, { SPEECH_CLEANUP: "markdown" }] as Record<string, string>[]) {
      const reply = filter(vars);
      const said = [reply.batch([{ kind: "text", text: "It is a **cat**.<ims_agent_" }]), reply.batch([{ kind: "text", text: "interrupted> Yes" }])];
      const text = said.flat().map((delta) => (delta.kind === "text" ? delta.text : "")).join("") + reply.end();
      expect(text).toBe(vars.SPEECH_CLEANUP ? "It is a cat. Yes" : "It is a **cat**. Yes");
    }
  });
});

describe("ReplyFilter", () => {
  it("returns a batch it does not change as the same array", () => {
    const batch: Delta[] = [{ kind: "text", text: "plain words, 2*3 and snake_case" }, { kind: "usage", promptTokens: 1, completionTokens: 2 }];
    expect(filter().batch(batch)).toBe(batch);
    const cleanup = filter({ SPEECH_CLEANUP: "markdown" });
    cleanup.batch([{ kind: "text", text: "Hello " }]);
    expect(cleanup.batch(batch)).toBe(batch);
  });

  it("says held text before a tool call and before the finish", () => {
    const reply = filter({ SPEECH_CLEANUP: "markdown" });
    const batch = reply.batch([
      { kind: "text", text: "Goodbye <imsag" },
      { kind: "tool_call", index: 0, id: "call_1", name: "hangup", arguments: "{}" },
      { kind: "text", text: " and <ims_agent_inter" },
      { kind: "finish", reason: "tool_calls" },
    ]);
    expect(batch).toEqual([
      { kind: "text", text: "Goodbye " },
      { kind: "text", text: "<imsag" },
      { kind: "tool_call", index: 0, id: "call_1", name: "hangup", arguments: "{}" },
      { kind: "text", text: " and " },
      { kind: "text", text: "<ims_agent_inter" },
      { kind: "finish", reason: "tool_calls" },
    ]);
    expect(reply.end()).toBe("");
  });
});
