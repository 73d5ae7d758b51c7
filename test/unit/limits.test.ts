// The pure pieces behind the request and upstream limits.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/http/api-error.ts";
import { messageChars } from "../../worker/http/message-chars.ts";
import { nestingDepthExceeds } from "../../worker/http/nesting-depth-exceeds.ts";
import { upstreamEventGuard } from "../../worker/stream/upstream-event-guard.ts";

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

describe("upstreamEventGuard", () => {
  it("lets a stream of small events through whatever its total size", () => {
    const guard = upstreamEventGuard(100);
    for (let i = 0; i < 1000; i++) {
      guard.eventCompleted();
      guard.received(60);
    }
  });

  it("refuses an event that keeps growing past the limit", () => {
    const guard = upstreamEventGuard(100);
    guard.received(60);
    expect(() => guard.received(60)).toThrow(ApiError);
    try {
      upstreamEventGuard(10).received(11);
    } catch (error) {
      expect((error as ApiError).code).toBe("upstream_error");
      expect((error as ApiError).message).not.toMatch(/MAX_|bytes/);
    }
  });

  it("counts again from zero after an event completes", () => {
    const guard = upstreamEventGuard(100);
    guard.received(90);
    guard.eventCompleted();
    guard.received(90);
    guard.received(60);
    expect(() => guard.received(60)).toThrow(/malformed stream/);
  });
});
