import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/http/api-error.ts";
import { readForm } from "../../worker/http/read-form.ts";
import { statusOf } from "../../worker/http/error-response.ts";

const limits = (maxBodyBytes: number) => ({ maxBodyBytes, maxFormFields: 32, maxFieldChars: 1024 * 1024 });
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
    ["invalid UTF-8", { "content-type": "application/x-www-form-urlencoded" }, new Uint8Array([0x4d, 0x3d, 0xff]), 400],
  ] as const)("refuses %s", async (_, headers, body, status) => {
    const error = await readForm(request(body as BodyInit, headers), limits(512)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(statusOf(error as ApiError)).toBe(status);
  });
});
