import { describe, expect, it } from "vitest";
import { reportedError, reportedKind } from "../../worker/providers/reported-error.ts";

describe("the provider's error code, as far as it may be repeated", () => {
  it.each([
    [{ error: { code: "invalid_api_key", type: "invalid_request_error", message: "Incorrect API key sk-abc" } }, "invalid_api_key"],
    [{ code: "InvalidApiKey", message: "Invalid API-key provided.", request_id: "9a8b7c6d-5e4f" }, "InvalidApiKey"],
    [{ Code: "Throttling.RateQuota" }, "Throttling.RateQuota"],
    [{ error: { code: 429, status: "RESOURCE_EXHAUSTED" } }, "429"],
    [{ object: "error", message: "x", type: "BadRequestError", code: 400 }, "400"],
    [{ error: { type: "server_error" } }, "server_error"],
    [{ error: { code: 1214, message: "x" } }, "1214"],
  ])("%j names %s", (body, kind) => {
    expect(reportedKind(body).kind).toBe(kind);
  });

  it.each([
    [{ error: { code: "sk-proj-abcDEF123456", type: "req_01kbx3m5q7e8r9" } }],
    [{ error: { code: "the prompt was: my password", type: "x".repeat(65) } }],
    [{ error: { code: "bad\ncode" } }],
    ["Rate limit reached; the prompt was: hello"],
    [{ error: { code: { nested: "invalid_api_key" } } }],
  ])("%j names nothing", (body) => {
    const { kind, detail } = reportedKind(body);
    expect(kind).toBeUndefined();
    expect(detail).not.toMatch(/sk-proj|req_01|password|prompt|nested/);
  });

  it("the log holds a value that may not be repeated only as its length, or its type if it is not text", () => {
    expect(reportedKind({ error: { code: "sk-proj-abcDEF123456", type: "req_01kbx3m5q7e8r9" } }).detail).toBe("type=<18> code=<20>");
    expect(reportedKind({ error: { code: { nested: "x" }, type: "invalid_request_error" } }).detail).toBe("type=invalid_request_error code=<object>");
    expect(reportedKind("Rate limit reached; the prompt was: hello").detail).toBe("code=<41>");
    expect(reportedKind({ error: {} }).detail).toBe("type= code=");
  });

  it("a rate limit is a 429 with Retry-After; anything else an upstream_error naming the code", () => {
    expect(reportedError({ error: { code: "rate_limit_exceeded" } }, "event: error")).toMatchObject({ code: "upstream_rate_limited", retryAfter: expect.any(Number) });
    expect(reportedError({ code: "Throttling.User" }, "x").code).toBe("upstream_rate_limited");
    const error = reportedError({ error: { code: "context_length_exceeded", message: "your 9000 tokens of 'secret'" } }, "in-stream error");
    expect(error).toMatchObject({ code: "upstream_error", message: "The model server reported an error (context_length_exceeded).", detail: "in-stream error type= code=context_length_exceeded" });
  });
});
