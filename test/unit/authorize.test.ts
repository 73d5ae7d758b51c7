import { timingSafeEqual } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../worker/http/api-error.ts";
import { authorize, openaiKeyOf, timingSafeEqualText } from "../../worker/http/authorize.ts";

/** Pairs of byte lengths given to the stand-in for the Workers runtime's crypto.subtle.timingSafeEqual. */
const compared: [number, number][] = [];
beforeAll(() => {
  // Node has no crypto.subtle.timingSafeEqual; this stand-in has its contract (equal lengths only).
  Object.defineProperty(crypto.subtle, "timingSafeEqual", {
    configurable: true,
    value: (a: Uint8Array, b: Uint8Array) => {
      compared.push([a.byteLength, b.byteLength]);
      return timingSafeEqual(a, b);
    },
  });
});

describe("timingSafeEqualText", () => {
  it.each([
    ["abc", "abc", true],
    ["abc", "abd", false],
    ["ab", "abc", false],
    ["abcd", "abc", false],
    ["", "", true],
    ["密钥", "密钥", true],
    ["密钥", "密码", false],
  ])("%j vs %j -> %s", (given, expected, equal) => expect(timingSafeEqualText(given, expected)).toBe(equal));
});

describe("authorize", () => {
  const rule = { accepted: ["old-key", "new-key"], setting: "API_KEYS", allowUnauthenticated: false };
  const codeOf = (given: string | undefined, ruleUsed = rule) => {
    try {
      authorize(given, ruleUsed);
      return "ok";
    } catch (error) {
      return (error as ApiError).code;
    }
  };
  it("accepts every configured key, for rotation", () => {
    expect(codeOf("old-key")).toBe("ok");
    expect(codeOf("new-key")).toBe("ok");
  });
  it("compares every configured key with crypto.subtle.timingSafeEqual, whichever one matches", () => {
    const keys = { ...rule, accepted: ["sk-first-key", "sk-second-key", "sk-3"] };
    for (const given of ["sk-first-key", "sk-3", "sk-wrong-key", "x"]) {
      compared.length = 0;
      codeOf(given, keys);
      expect(compared, given).toHaveLength(3);
      for (const [a, b] of compared) expect(a).toBe(b);
    }
  });
  it("refuses missing and wrong keys", () => {
    expect(codeOf(undefined)).toBe("missing_credentials");
    expect(codeOf("")).toBe("missing_credentials");
    expect(codeOf("new-key ")).toBe("invalid_credentials");
  });
  it("fails closed with no keys configured, naming the setting, unless opted out", () => {
    expect(codeOf("anything", { ...rule, accepted: [] })).toBe("auth_not_configured");
    expect(() => authorize("x", { ...rule, accepted: [] })).toThrow(/API_KEYS/);
    expect(codeOf(undefined, { ...rule, accepted: [], allowUnauthenticated: true })).toBe("ok");
  });
});

describe("openaiKeyOf", () => {
  const url = (query = "") => new URL(`http://x/v1/chat/completions${query}`);
  it("reads a Bearer token, an api-key header, or an api-key query parameter", () => {
    expect(openaiKeyOf(new Request(url(), { headers: { authorization: "Bearer  sk-1 " } }))).toBe("sk-1");
    expect(openaiKeyOf(new Request(url(), { headers: { "api-key": "sk-2" } }))).toBe("sk-2");
    expect(openaiKeyOf(new Request(url("?api-version=1&api-key=sk-3")))).toBe("sk-3");
    expect(openaiKeyOf(new Request(url()))).toBeUndefined();
  });
});
