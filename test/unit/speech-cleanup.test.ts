// SPEECH_CLEANUP=markdown on a stream: the fixture table replayed at every split point, and a
// property over generated markdown replies: the spoken text never depends on where the
// stream split, and nothing is held back past the next whitespace.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpeechCleanup } from "../../worker/voice/speech-cleanup.ts";
import { root } from "../support/paths.ts";

const cases = JSON.parse(readFileSync(join(root, "test", "fixtures", "speech-cleanup.json"), "utf8")) as [string, string][];

/** The spoken text of a reply read in these pieces. */
function spoken(pieces: readonly string[]): string {
  const cleanup = new SpeechCleanup();
  let out = "";
  for (const piece of pieces) out += cleanup.push(piece);
  return out + cleanup.end();
}

/** Cuts text at the given positions (UTF-16 units, so inside an emoji's surrogate pair too). */
const cut = (text: string, at: readonly number[]) => {
  const points = [...new Set(at.map((n) => n % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((from, i) => text.slice(from, points[i] ?? text.length));
};

describe("speech cleanup fixture table", () => {
  it("holds at least 40 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)("%j is said as %j, whole, at every split point and one character at a time", (markdown, expected) => {
    expect(spoken([markdown])).toBe(expected);
    for (let at = 0; at <= markdown.length; at++) expect(spoken([markdown.slice(0, at), markdown.slice(at)]), `split at ${at}`).toBe(expected);
    expect(spoken([...markdown])).toBe(expected);
  });
});

const word = fc.constantFrom("hello", "snake_case", "__init__.py", "2*3", "a*b", "https://example.com/a_b", "你好", "世界", "🙂", "C++", "x<y", "5*", "~5", "[1]", "a[0]", "café", "wow!", "#12", "2024.");
const marked = fc.oneof(
  word,
  word.map((w) => `**${w}**`),
  word.map((w) => `*${w}*`),
  word.map((w) => `_${w}_`),
  word.map((w) => `~~${w}~~`),
  word.map((w) => `\`${w}\``),
  word.map((w) => `[${w}](https://example.com/${w.length})`),
  word.map((w) => `![${w}](image.png)`),
  fc.constant('<imsagent_hangup endword="**Bye** now"/>'),
  fc.constant("<imsagent_transfer_call/>"),
);
const lineStart = fc.constantFrom("", "# ", "## ", "- ", "* ", "1. ", "12) ", "> ", "| ", "```\n", "---\n", "  ");
const line = fc.tuple(lineStart, fc.array(marked, { minLength: 1, maxLength: 8 }), fc.constantFrom(" ", "  ", " | ", "，")).map(([start, words, gap]) => start + words.join(gap));
const reply = fc.array(line, { minLength: 1, maxLength: 6 }).chain((lines) => fc.constantFrom("\n", "\n\n").map((sep) => lines.join(sep)));

describe("speech cleanup on generated markdown", () => {
  it("says the same text whatever the split points", () => {
    fc.assert(
      fc.property(reply, fc.array(fc.nat(), { maxLength: 12 }), (markdown, at) => {
        expect(spoken(cut(markdown, at))).toBe(spoken([markdown]));
      }),
      { numRuns: 10000 },
    );
  });

  it("holds nothing back once a read ends in whitespace", () => {
    fc.assert(
      fc.property(reply, fc.nat(), (markdown, n) => {
        const spaces = [...markdown.matchAll(/\s/g)].map((match) => match.index);
        if (spaces.length === 0) return;
        const at = spaces[n % spaces.length]! + 1;
        const cleanup = new SpeechCleanup();
        const said = cleanup.push(markdown.slice(0, at));
        // What the prefix says as a reply of its own is already out: nothing was waiting.
        expect(cleanup.end()).toBe("");
        expect(said).toBe(spoken([markdown.slice(0, at)]));
      }),
      { numRuns: 10000 },
    );
  });

  it("leaves plain words and IMS tags as they are", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("hello", "snake_case", "2*3", "你好", "🙂", "https://example.com/a_b", '<imsagent_hangup endword="Bye"/>'), { minLength: 1 }), (words) => {
        const text = `Well ${words.join(" ")}`;
        expect(spoken([text])).toBe(text);
      }),
    );
  });
});
