import { describe, expect, it } from "vitest";
import type { Delta } from "../../worker/providers/provider.ts";
import { LeadingThink } from "../../worker/providers/leading-think.ts";

/** The text spoken for these content pieces, read in order, then the reply's end. */
function spoken(pieces: readonly string[]): string {
  const think = new LeadingThink();
  const batch: Delta[] = [];
  for (const piece of pieces) think.text(piece, batch);
  think.end(batch);
  return batch.map((delta) => (delta.kind === "text" ? delta.text : "")).join("");
}

describe("a leading <think> block", () => {
  it.each([
    [["<think>plan</think>Hello"], "Hello"],
    [["  \n<think>", "plan", "</think>\n\n", "Hello"], "Hello"],
    [["<", "t", "h", "i", "n", "k", ">", "a</", "th", "ink", ">", " Hi"], "Hi"],
    [["<think>never closed"], ""],
  ])("%j is spoken as %j", (pieces, text) => {
    expect(spoken(pieces)).toBe(text);
  });

  it.each([
    [['<imsagent_hangup endword="Bye"/>']],
    [["<", "b>bold</b>"]],
    [["Hello <think>not leading</think>"]],
    [["<thi"]],
    [["   "]],
  ])("%j is spoken as it came", (pieces) => {
    expect(spoken(pieces)).toBe(pieces.join(""));
  });

  it("whitespace before anything else is held only so far, then spoken", () => {
    expect(spoken([" ".repeat(65), "x"])).toBe(`${" ".repeat(65)}x`);
  });
});
