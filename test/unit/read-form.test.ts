import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/http/api-error.ts";
import { readForm } from "../../worker/http/read-form.ts";
import { statusOf } from "../../worker/http/error-response.ts";

const limits = (maxBodyBytes: number) => ({ maxBodyBytes, maxFormFields: 32, maxFieldChars: 1024 * 1024, bodyTimeoutMs: 10_000 });
const request = (body: BodyInit, headers: Record<string, string> = {}) => new Request("http://x/", { method: "POST", body, headers });

describe("readForm", () => {
  it("reads urlencoded fields, keeping the first of a repeated field", async () => {
    const body = "Message=%5B%5D&Token=t&Token=second&ExtendData=%7B%7D";
    expect(await readForm(request(body, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }), limits(1024))).toEqual({ Message: "[]", Token: "t", ExtendData: "{}" });
  });

  it("reads a body without Content-Type as urlencoded", async () => {
    expect(await readForm(request(new TextEncoder().encode("Message=%E4%BD%A0")), limits(1024))).toEqual({ Message: "你" });
  });

  it("reads multipart", async () => {
    const form = new FormData();
    form.append("Message", "[{'role': 'user', 'content': 'hi'}]");
    form.append("Token", "t");
    expect(await readForm(request(form), limits(4096))).toEqual({ Message: "[{'role': 'user', 'content': 'hi'}]", Token: "t" });
  });

  it.each([
    ["JSON", { "content-type": "application/json" }, "{}", 415],
    ["a file field", {}, (() => { const form = new FormData(); form.append("Message", new Blob(["x"]), "m.txt"); return form; })(), 400],
    ["a multipart body with the wrong boundary", { "content-type": "multipart/form-data; boundary=a" }, "--b\r\n\r\n", 400],
    ["a body over the limit", { "content-type": "application/x-www-form-urlencoded" }, "Message=" + "x".repeat(600), 413],
    ["a multipart body of more parts than MAX_FORM_FIELDS", { "content-type": "multipart/form-data; boundary=b" }, "--b\r\n\r\n".repeat(40) + "--b--", 413],
    ["a urlencoded body of more pieces than MAX_FORM_FIELDS", { "content-type": "application/x-www-form-urlencoded" }, "&".repeat(40), 413],
    ["invalid UTF-8", { "content-type": "application/x-www-form-urlencoded" }, new Uint8Array([0x4d, 0x3d, 0xff]), 400],
  ] as const)("refuses %s", async (_, headers, body, status) => {
    const error = await readForm(request(body as BodyInit, headers), limits(512)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(statusOf(error as ApiError)).toBe(status);
  });
});

describe("readForm's field count", () => {
  // The whole point of counting first: a body of many empty parts is refused by the count,
  // before the runtime's multipart parser sees it. A parser that ran first would accept the
  // empty parts' headers as fields of name "" and fail on the count only afterwards; both
  // refuse, so the fast path is pinned by the bench (bench/flood.ts), and here by its outcome.
  it("counts MAX_FORM_FIELDS parts as within the limit, one more as over it", async () => {
    const parts = (n: number) => Array.from({ length: n }, (_, i) => `--b\r\ncontent-disposition: form-data; name="F${i}"\r\n\r\nv\r\n`).join("") + "--b--\r\n";
    const headers = { "content-type": "multipart/form-data; boundary=b" };
    expect(Object.keys(await readForm(request(parts(32), headers), limits(1 << 20)))).toHaveLength(32);
    const error = await readForm(request(parts(33), headers), limits(1 << 20)).catch((caught: unknown) => caught);
    expect(statusOf(error as ApiError)).toBe(413);
  });
});
