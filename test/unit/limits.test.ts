// The pure pieces behind the request limits.
import { describe, expect, it } from "vitest";
import { messageChars } from "../../worker/http/check-messages.ts";
import { nestingDepthExceeds } from "../../worker/http/nesting-depth-exceeds.ts";

describe("nestingDepthExceeds", () => {
  it.each([
    ["{}", 1, false],
    ["[[]]", 1, true],
    ["[[]]", 2, false],
    ['{"a":{"b":[1]}}', 3, false],
    ['{"a":{"b":[1]}}', 2, true],
    ['["[[[[", "{{{{"]', 1, false],
    ["['[[[[', '{{{{']", 1, false],
    ['["\\"[[[["]', 1, false],
    ['["\\\\", [[1]]]', 2, true],
    ["[]".repeat(1000), 1, false],
    ["[".repeat(1_000_000), 64, true],
    ["", 1, false],
    ["]]]][[", 1, true],
  ] as const)("%j at depth %d → %s", (text, depth, expected) => {
    expect(nestingDepthExceeds(text, depth)).toBe(expected);
  });
});

describe("messageChars", () => {
  it("counts string content, text parts and tool-call arguments, not images", () => {
    expect(messageChars({ content: "hello" })).toBe(5);
    expect(messageChars({ content: null })).toBe(0);
    expect(
      messageChars({
        content: [
          { type: "text", text: "ab" },
          { type: "image_url", image_url: { url: "data:image/jpeg;base64,AAAA" } } as { type: string },
          { type: "text", text: "cde" },
        ],
      }),
    ).toBe(5);
    expect(messageChars({ content: "x", tool_calls: [{ function: { arguments: '{"a":1}' } }] })).toBe(8);
  });
});
