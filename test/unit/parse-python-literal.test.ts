import { describe, expect, it } from "vitest";
import { LiteralSyntaxError, parsePythonLiteral } from "../../worker/http/parse-python-literal.ts";
import { docConversation, docMessageSingleQuoted } from "../../contracts/conformance/ims-requests.ts";

/** Python's repr of JSON-like data, as a Spec 2 server written in Python would print it. */
function pythonRepr(value: unknown): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  return `{${Object.entries(value as object).map(([key, item]) => `${pythonRepr(key)}: ${pythonRepr(item)}`).join(", ")}}`;
}

describe("parsePythonLiteral", () => {
  it("reads the doc's single-quoted Message", () => {
    expect(parsePythonLiteral(docMessageSingleQuoted)).toEqual(docConversation);
  });

  it("reads what JSON.parse reads", () => {
    const samples = ['{"a":[1,2.5,-3e2,true,false,null],"b":"x\\"y\\u00e9\\n"}', "[]", "{}", '"just a string"', "  [ 1 , 2 ]  "];
    for (const sample of samples) expect(parsePythonLiteral(sample)).toEqual(JSON.parse(sample));
  });

  it("reads Python's repr of nested data back to the same value", () => {
    const value = [{ role: "user", content: "It's \\ \"quoted\"\nnext line", meta: { n: 3, ok: true, none: null, list: [1, "two", [false]] } }];
    expect(parsePythonLiteral(pythonRepr(value))).toEqual(value);
  });

  it("accepts trailing commas and Python escapes", () => {
    expect(parsePythonLiteral("[{'a': 'caf\\xe9', 'b': '\\u4f60',},]")).toEqual([{ a: "café", b: "你" }]);
  });

  it("keeps __proto__ as a plain key", () => {
    const parsed = parsePythonLiteral("{'__proto__': {'polluted': True}}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ["an expression", "__import__('os').system('id')"],
    ["a call", "print(1)"],
    ["an unterminated string", "[{'a': 'b}]"],
    ["a bare word key", "{role: 'user'}"],
    ["text after the value", "[] []"],
    ["a missing comma", "[1 2]"],
    ["an empty input", ""],
    ["a lone quote", "'"],
    ["a bad \\x escape", "'\\xZZ'"],
  ])("refuses %s with a position", (_, text) => {
    expect(() => parsePythonLiteral(text)).toThrow(LiteralSyntaxError);
  });

  it("refuses nesting deeper than the limit without overflowing the stack", () => {
    expect(() => parsePythonLiteral("[".repeat(100_000))).toThrow(/nesting deeper than 64/);
    expect(parsePythonLiteral("[".repeat(64) + "]".repeat(64))).toBeDefined();
  });
});
