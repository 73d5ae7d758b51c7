// The reply's UTF-8 encoder must write exactly the bytes TextEncoder writes, for any string:
// ASCII, two-, three- and four-byte characters, and the lone surrogates TextEncoder replaces.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Utf8Buffer } from "../../worker/stream/utf8-buffer.ts";

const reference = new TextEncoder();

describe("Utf8Buffer", () => {
  it("encodes as TextEncoder does, including lone surrogates and text longer than its first buffer", () => {
    const buffer = new Utf8Buffer();
    for (const text of ["", "data: hi\n\n", "é ü ß", "你好，世界", "🙂 a 𝄞", "\ud800", "a\udc00b", "\ud83d", "\ud83d\ud83d\ude42", "x".repeat(5000) + "你".repeat(3000)]) {
      expect(buffer.encode(text)).toEqual(reference.encode(text));
    }
  });

  it("matches TextEncoder on arbitrary strings, one buffer reused across them", () => {
    const buffer = new Utf8Buffer();
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
        expect(buffer.encode(text)).toEqual(reference.encode(text));
      }),
      { numRuns: 2000 },
    );
  });
});
