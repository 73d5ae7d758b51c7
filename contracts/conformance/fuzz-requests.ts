import fc from "fast-check";
import { docChatRequest, docConversation, docExtendData, docMessageSingleQuoted, fullExtendData } from "./ims-requests.ts";
import { chatCompletionsUrl, type Target } from "./target.ts";

/** One generated request, ready for fetch. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array<ArrayBuffer> | undefined;
  /**
   * Sent on a raw socket instead of with fetch, framed as no well-behaved client would:
   * chunked framing broken at `at` (a size that is not hex, or more bytes promised than sent),
   * or a Content-Length body that stops after `at` bytes (the client then stops writing).
   */
  wire?: { kind: "bad-chunked" | "cut"; at: number };
}

/** Framing a broken client sends: mostly none (fetch's own), sometimes broken chunked or a body cut short. */
const wire = fc.oneof(
  { weight: 18, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("bad-chunked" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }) },
);

/** A body of many tiny fields, the cheapest way to make a form parser work: up to 200,000 pieces, 40,000 parts (1.8 MB). */
const manyParts = fc.integer({ min: 30, max: 200_000 });
const MAX_MANY_PARTS = 40_000;

/** Strings a parser trips on: lone surrogates, controls, bidi marks, BOMs, prototype keys, markers. */
const oddText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("", "\u0000", "\ud800", "\udfff", "a\udc00b", "\u202e\u2066", "\ufeff", "💥🎙️", "<ims_agent_interrupted>", "__proto__", "constructor", "\r\n\r\n", "%ff%fe", "'\"\\"),
);

/** Long strings, built by repetition so generating them stays cheap. */
const hugeText = fc
  .tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1_000, max: 400_000 }))
  .map(([unit, times]) => unit.repeat(times));

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ maxDepth: 4, withNullPrototype: true }) },
  { weight: 3, arbitrary: oddText },
  { weight: 1, arbitrary: hugeText },
  { weight: 1, arbitrary: fc.constantFrom(null, true, 0, -1, 1e308, [], {}) },
);

/** Nested arrays or objects as raw JSON text, up to far beyond any parser's comfort. */
const deepText = fc
  .tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom(["[", "]"], ['{"a":', "}"], ["[{\"x\":", "}]"]))
  .map(([depth, [open, close]]) => `${open.repeat(depth)}1${close.repeat(depth)}`);

/** Cuts text at a random point: the typical truncated body. */
const truncated = (text: fc.Arbitrary<string>) => fc.tuple(text, fc.nat()).map(([whole, at]) => whole.slice(0, at % (whole.length + 1)));

/** fetch labels a string body text/plain; bytes go without a Content-Type, as some clients send them. */
const asBytes = (body: string | Uint8Array<ArrayBuffer>) => (typeof body === "string" ? new TextEncoder().encode(body) : body);

const invalidUtf8 = fc.uint8Array({ maxLength: 200 }).map((bytes) => Uint8Array.from([0xff, ...bytes, 0xc3]));

/** Usually the right thing, sometimes anything: so that many requests get deep into validation. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown> = anyValue) => fc.oneof({ weight: 4, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: bad });

const role = mostly(fc.constantFrom("system", "developer", "user", "assistant", "tool", "function"));
const content = fc.oneof(
  oddText,
  hugeText,
  fc.array(fc.record({ type: mostly(fc.constantFrom("text", "image_url")), text: oddText, image_url: fc.record({ url: oddText }) }, { requiredKeys: ["type"] }), { maxLength: 4 }),
  anyValue,
);
const chatMessage = fc.oneof(
  fc.constantFrom(...docConversation),
  fc.record({ role, content, name: oddText, tool_call_id: oddText, tool_calls: anyValue }, { requiredKeys: ["role", "content"] }),
  anyValue,
);

/** A chat request, mostly well-formed, with any field replaced by something wrong. */
const chatBody = fc.record(
  {
    model: mostly(fc.constant("m")),
    messages: mostly(fc.oneof(fc.array(chatMessage, { minLength: 1, maxLength: 6 }), fc.constant(docConversation))),
    stream: mostly(fc.boolean()),
    extendData: mostly(fc.oneof(fc.constant(fullExtendData), fc.dictionary(oddText, oddText, { maxKeys: 5 }))),
    temperature: mostly(fc.double({ min: 0, max: 2, noNaN: true })),
    n: mostly(fc.constant(1)),
    tools: anyValue,
    stop: mostly(fc.oneof(oddText, fc.array(oddText, { maxLength: 3 }))),
  },
  { requiredKeys: ["model", "messages"] },
);

const chatText: fc.Arbitrary<string | Uint8Array<ArrayBuffer>> = fc.oneof(
  { weight: 6, arbitrary: chatBody.map((body) => JSON.stringify(body)) },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: truncated(fc.constant(JSON.stringify(docChatRequest("m")))) },
  { weight: 1, arbitrary: deepText.map((deep) => `{"model":"m","messages":[{"role":"user","content":"hi"}],"extendData":${deep}}`) },
  { weight: 1, arbitrary: deepText },
  { weight: 1, arbitrary: oddText },
  { weight: 1, arbitrary: invalidUtf8 },
);

const jsonTypes = fc.constantFrom("application/json", "application/json; charset=utf-8", "application/vnd.ims+json", "");
const otherTypes = fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "garbage", "application/json; charset=\u00ff");

/** Header values HTTP allows (visible ASCII and spaces), odd or long. */
const headerText = fc.oneof(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 }), fc.constantFrom("Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "bearer  x  y"), fc.constant("x".repeat(8000)));

function chatRequests(target: Target): fc.Arbitrary<FuzzRequest> {
  const url = chatCompletionsUrl(target.url);
  const auth = fc.oneof(
    { weight: 8, arbitrary: fc.constant({ authorization: `Bearer ${target.apiKey ?? ""}` }) },
    { weight: 1, arbitrary: fc.constant({ "api-key": target.apiKey ?? "" }) },
    { weight: 1, arbitrary: fc.oneof(fc.constant({}), headerText.map((value) => ({ authorization: value }))) },
  );
  return fc.record({
    method: fc.oneof({ weight: 19, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "OPTIONS", "PATCH") }),
    url: fc.oneof({ weight: 9, arbitrary: fc.constant(url) }, { weight: 1, arbitrary: fc.constantFrom(`${url}?api-version=1&x=%ff`, url.replace("/chat/", "//chat//"), `${url}/`) }),
    headers: fc
      .tuple(auth, fc.oneof({ weight: 6, arbitrary: jsonTypes }, { weight: 1, arbitrary: otherTypes }))
      .map(([credentials, type]) => ({ ...credentials, ...(type && { "content-type": type }) })),
    body: chatText,
    wire,
  })
    .map(({ wire: framing, ...request }) => (framing && request.method === "POST" ? { ...request, wire: framing } : request))
    .map((request) => (request.method === "GET" ? { ...request, body: undefined } : "content-type" in request.headers ? request : { ...request, body: asBytes(request.body) }));
}

const fieldValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(JSON.stringify(docConversation), docMessageSingleQuoted, docExtendData) },
  { weight: 3, arbitrary: fc.array(chatMessage, { maxLength: 4 }).map((messages) => JSON.stringify(messages)) },
  { weight: 2, arbitrary: anyValue.map((value) => JSON.stringify(value) ?? "undefined") },
  { weight: 1, arbitrary: truncated(fc.constantFrom(docMessageSingleQuoted, JSON.stringify(docConversation))) },
  { weight: 1, arbitrary: deepText },
  { weight: 1, arbitrary: oddText },
  { weight: 1, arbitrary: hugeText },
);

/** Spec 2 fields: the three IMS sends, each possibly wrong or missing, and sometimes many more. */
const formFields = (token: string) =>
  fc
    .tuple(
      fc.record({ Message: fieldValue, Token: fc.oneof({ weight: 8, arbitrary: fc.constant(token) }, { weight: 1, arbitrary: oddText }), ExtendData: fieldValue }, { requiredKeys: [] }),
      fc.oneof({ weight: 5, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(oddText, oddText), { maxLength: 60 }) }),
    )
    .map(([known, extra]) => [...Object.entries(known), ...extra]);

const multipart = (fields: [string, string][], boundary: string) =>
  fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join("") + `--${boundary}--\r\n`;

function formRequests(target: Target): fc.Arbitrary<FuzzRequest> {
  const encoded = fc.tuple(formFields(target.token ?? ""), fc.integer({ min: 0, max: 9 }), fc.nat()).map(([fields, kind, cut]): [Record<string, string>, string | Uint8Array<ArrayBuffer>] => {
    if (kind <= 4) return [{ "content-type": "application/x-www-form-urlencoded" }, new URLSearchParams(fields).toString()];
    if (kind === 5) return [{}, asBytes(new URLSearchParams(fields).toString())];
    if (kind === 6) return [{ "content-type": "multipart/form-data; boundary=fuzz" }, multipart(fields, "fuzz")];
    if (kind === 7) {
      // Broken multipart: the body cut short, or a boundary that does not match the header.
      const body = multipart(fields, cut % 2 ? "fuzz" : "other");
      return [{ "content-type": "multipart/form-data; boundary=fuzz" }, body.slice(0, cut % (body.length + 1))];
    }
    if (kind === 8) return [{ "content-type": "multipart/form-data" }, multipart(fields, "fuzz")];
    return [{ "content-type": "application/json" }, JSON.stringify(Object.fromEntries(fields))];
  });
  // Many empty parts or pieces, with or without the token in front.
  const many = fc.tuple(manyParts, fc.boolean(), fc.boolean()).map(([n, multi, withToken]): [Record<string, string>, string] => {
    const token = withToken ? [["Token", target.token ?? ""] as [string, string]] : [];
    const part = '--fuzz\r\nContent-Disposition: form-data; name="f"\r\n\r\n\r\n';
    if (multi) return [{ "content-type": "multipart/form-data; boundary=fuzz" }, multipart(token, "fuzz").replace(/--fuzz--\r\n$/, "") + part.repeat(Math.min(n, MAX_MANY_PARTS)) + "--fuzz--\r\n"];
    return [{ "content-type": "application/x-www-form-urlencoded" }, new URLSearchParams(token).toString() + "&a=".repeat(n)];
  });
  const raw = fc.tuple(fc.oneof(otherTypes, fc.constant("application/x-www-form-urlencoded")), fc.oneof(invalidUtf8, oddText, deepText)).map(([type, body]): [Record<string, string>, string | Uint8Array<ArrayBuffer>] => [{ "content-type": type }, body]);
  return fc.record({
    method: fc.oneof({ weight: 19, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH") }),
    url: fc.constant(target.url),
    encoded: fc.oneof({ weight: 9, arbitrary: encoded }, { weight: 1, arbitrary: raw }, { weight: 1, arbitrary: many }),
    wire,
  }).map(({ method, url, encoded: [headers, body], wire: framing }) => ({ method, url, headers, body: method === "GET" ? undefined : body, ...(framing && method === "POST" && { wire: framing }) }));
}

/** Requests for the target's route: mostly near misses of what IMS sends, some plain garbage. */
export const fuzzRequests = (target: Target): fc.Arbitrary<FuzzRequest> => (target.spec === "openai" ? chatRequests(target) : formRequests(target));
