// Every bad input gets a precise 4xx in the wire format its caller understands, validated
// against the published error schemas; never a 5xx, never a raw validation dump.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docConversation, docExtendData } from "../contracts/conformance/ims-requests.ts";
import { schemaViolation } from "../contracts/conformance/published-schemas.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

let worker: RunningWorker;
let small: RunningWorker;
let closed: RunningWorker;
let metadataUpstream: RunningWorker;

beforeAll(async () => {
  [worker, small, closed, metadataUpstream] = await Promise.all([
    startWorker(),
    startWorker({ MAX_BODY_BYTES: "2048", MAX_MESSAGES: "3", MAX_MESSAGE_CHARS: "100", MAX_FIELD_CHARS: "600", MAX_JSON_DEPTH: "8", MAX_FORM_FIELDS: "5" }),
    startWorker({ API_KEYS: "", IMS_TOKENS: "" }),
    startWorker({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: "http://169.254.169.254/latest", ALLOW_PRIVATE_UPSTREAM: "false" }),
  ]);
});
afterAll(() => Promise.all([worker, small, closed, metadataUpstream].map((running) => running?.dispose())));

const chat = { model: "abc", stream: true, messages: [{ role: "user", content: "hi" }] };
const json = (body: unknown) => JSON.stringify(body);
const auth = { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const formHeaders = { "content-type": "application/x-www-form-urlencoded" };
const goodForm = { Message: json(docConversation), Token: TEST_IMS_TOKEN, ExtendData: docExtendData };

interface Case {
  name: string;
  target?: () => RunningWorker;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit | (() => BodyInit);
  status: number;
  code?: string;
  param?: string;
}

const spec1: Case[] = [
  { name: "malformed JSON", path: "/v1/chat/completions", headers: auth, body: '{"model":', status: 400, code: "invalid_json" },
  { name: "empty body", path: "/v1/chat/completions", headers: auth, body: "", status: 400, code: "invalid_json" },
  { name: "invalid UTF-8", path: "/v1/chat/completions", headers: auth, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), status: 400, code: "invalid_json" },
  { name: "a JSON array instead of an object", path: "/v1/chat/completions", headers: auth, body: "[]", status: 400, code: "invalid_request" },
  { name: "text/plain content type", path: "/v1/chat/completions", headers: { ...auth, "content-type": "text/plain" }, body: json(chat), status: 415, code: "unsupported_media_type" },
  { name: "form content type", path: "/chat/completions", headers: { ...auth, "content-type": "application/x-www-form-urlencoded" }, body: "a=b", status: 415 },
  { name: "missing messages", path: "/v1/chat/completions", headers: auth, body: json({ model: "abc", stream: true }), status: 400, code: "invalid_request", param: "messages" },
  { name: "empty messages", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: [] }), status: 400, param: "messages" },
  { name: "messages as a string", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: "hi" }), status: 400, param: "messages" },
  { name: "a role that is not a string", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: [{ role: 5, content: "x" }] }), status: 400, param: "messages.0.role" },
  { name: "an unknown role is accepted (IMS's plugin turn)", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, stream: false, messages: [{ role: "plugin", content: "x" }] }), status: 200 },
  { name: "a known role with content of another shape", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: [{ role: "system", content: 5 }] }), status: 400, param: "messages.0.content" },
  { name: "content as a number", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: [{ role: "user", content: 5 }] }), status: 400, param: "messages.0.content" },
  { name: "unknown content part", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: [{ role: "user", content: [{ type: "audio" }] }] }), status: 400, param: "messages.0.content.0.type" },
  { name: "tool message without tool_call_id is accepted", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, stream: false, messages: [{ role: "user", content: "hi" }, { role: "tool", content: "42" }] }), status: 200 },
  { name: "tool_call_id that is not a string", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: [{ role: "tool", content: "42", tool_call_id: 7 }] }), status: 400, param: "messages.0.tool_call_id" },
  { name: "missing model", path: "/v1/chat/completions", headers: auth, body: json({ stream: true, messages: chat.messages }), status: 400, param: "model" },
  { name: "stream as a string", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, stream: "yes" }), status: 400, param: "stream" },
  { name: "temperature as a string", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, temperature: "hot" }), status: 400, param: "temperature" },
  { name: "n other than 1", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, n: 2 }), status: 400, param: "n" },
  { name: "extendData as a string", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, extendData: "x" }), status: 400, param: "extendData" },
  { name: "sentenceId as an object", path: "/v1/chat/completions", headers: auth, body: json({ ...chat, extendData: { sentenceId: {} } }), status: 400, param: "extendData.sentenceId" },
  { name: "no API key", path: "/v1/chat/completions", headers: { "content-type": "application/json" }, body: json(chat), status: 401, code: "missing_credentials" },
  { name: "wrong API key", path: "/v1/chat/completions", headers: { ...auth, authorization: "Bearer sk-wrong" }, body: json(chat), status: 401, code: "invalid_credentials" },
  { name: "wrong api-key query parameter", path: "/v1/chat/completions?api-version=2024-02-01&api-key=sk-wrong", headers: { "content-type": "application/json" }, body: json(chat), status: 401, code: "invalid_credentials" },
  { name: "GET on the chat route", path: "/v1/chat/completions", method: "GET", headers: auth, status: 405, code: "method_not_allowed" },
  { name: "unknown route", path: "/v1/embeddings", headers: auth, body: json(chat), status: 404, code: "not_found" },
  { name: "more messages than MAX_MESSAGES", target: () => small, path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: Array(4).fill(chat.messages[0]) }), status: 413, code: "limit_exceeded", param: "messages" },
  { name: "a message over MAX_MESSAGE_CHARS", target: () => small, path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: [chat.messages[0], { role: "user", content: "x".repeat(101) }] }), status: 413, code: "limit_exceeded", param: "messages.1" },
  {
    name: "text parts over MAX_MESSAGE_CHARS together",
    target: () => small,
    path: "/v1/chat/completions",
    headers: auth,
    body: json({ ...chat, messages: [{ role: "user", content: [{ type: "text", text: "x".repeat(60) }, { type: "text", text: "y".repeat(60) }] }] }),
    status: 413,
    param: "messages.0",
  },
  { name: "a message at MAX_MESSAGE_CHARS is accepted", target: () => small, path: "/v1/chat/completions", headers: auth, body: json({ ...chat, stream: false, messages: [{ role: "user", content: "x".repeat(100) }] }), status: 200 },
  { name: "nesting deeper than MAX_JSON_DEPTH", target: () => small, path: "/v1/chat/completions", headers: auth, body: json({ ...chat, extendData: { a: [[[[[[[[1]]]]]]]] } }), status: 400, code: "nesting_too_deep" },
  { name: "brackets inside strings do not count as nesting", target: () => small, path: "/v1/chat/completions", headers: auth, body: json({ ...chat, stream: false, user: "[[[[[[[[[[{{{{{{{{\\\"" }), status: 200 },
  { name: "a million open brackets", path: "/v1/chat/completions", headers: auth, body: "[".repeat(1_000_000), status: 400, code: "nesting_too_deep" },
  { name: "body over MAX_BODY_BYTES", target: () => small, path: "/v1/chat/completions", headers: auth, body: json({ ...chat, messages: [{ role: "user", content: "x".repeat(4096) }] }), status: 413, code: "payload_too_large" },
  {
    name: "chunked body over MAX_BODY_BYTES",
    target: () => small,
    path: "/v1/chat/completions",
    headers: auth,
    body: () => new Blob([json({ ...chat, messages: [{ role: "user", content: "x".repeat(4096) }] })]).stream(),
    status: 413,
  },
  { name: "UPSTREAM_BASE_URL at a metadata address", target: () => metadataUpstream, path: "/v1/chat/completions", headers: auth, body: json(chat), status: 500, code: "misconfigured" },
  { name: "no API_KEYS configured", target: () => closed, path: "/v1/chat/completions", headers: auth, body: json(chat), status: 503, code: "auth_not_configured" },
];

const spec2: Case[] = [
  { name: "no Message", path: "/", headers: formHeaders, body: new TextEncoder().encode(form({ Token: TEST_IMS_TOKEN })), status: 400, param: "Message" },
  { name: "no fields but the token, and no content type", path: "/", body: new TextEncoder().encode(form({ Token: TEST_IMS_TOKEN })), status: 400, param: "Message" },
  { name: "no fields at all: the token is checked first", path: "/", body: new Uint8Array(0), status: 401 },
  { name: "Message neither JSON nor a literal", path: "/", headers: formHeaders, body: form({ ...goodForm, Message: "[{role: user" }), status: 400, param: "Message" },
  { name: "Message as a Python expression", path: "/", headers: formHeaders, body: form({ ...goodForm, Message: "__import__('os').system('id')" }), status: 400, param: "Message" },
  { name: "Message as an object", path: "/", headers: formHeaders, body: form({ ...goodForm, Message: json({ role: "user", content: "hi" }) }), status: 400, param: "Message" },
  { name: "Message with a role that is not a string", path: "/", headers: formHeaders, body: form({ ...goodForm, Message: json([{ role: 1, content: "hi" }]) }), status: 400, param: "Message.0.role" },
  { name: "Message with IMS's plugin role is accepted", path: "/", headers: formHeaders, body: form({ ...goodForm, Message: json([{ role: "plugin", content: "hi" }]) }), status: 200 },
  { name: "Message with no content", path: "/", headers: formHeaders, body: form({ ...goodForm, Message: json([{ role: "user" }]) }), status: 400, param: "Message.0.content" },
  { name: "Message empty", path: "/", headers: formHeaders, body: form({ ...goodForm, Message: "[]" }), status: 400, param: "Message" },
  { name: "ExtendData unparseable", path: "/", headers: formHeaders, body: form({ ...goodForm, ExtendData: "{InstanceId" }), status: 400, param: "ExtendData" },
  { name: "ExtendData an array", path: "/", headers: formHeaders, body: form({ ...goodForm, ExtendData: "[1]" }), status: 400, param: "ExtendData" },
  { name: "InstanceId a number", path: "/", headers: formHeaders, body: form({ ...goodForm, ExtendData: json({ InstanceId: 5 }) }), status: 400, param: "ExtendData.InstanceId" },
  { name: "wrong Token", path: "/", headers: formHeaders, body: form({ ...goodForm, Token: "wrong" }), status: 401, code: "InvalidToken" },
  { name: "no Token", path: "/", headers: formHeaders, body: form({ Message: goodForm.Message }), status: 401, code: "InvalidToken.Missing" },
  { name: "JSON content type", path: "/", headers: { "content-type": "application/json" }, body: json(goodForm), status: 415, code: "UnsupportedMediaType" },
  {
    name: "broken multipart",
    path: "/",
    headers: { "content-type": "multipart/form-data; boundary=abc" },
    body: '--xyz\r\nContent-Disposition: form-data; name="Message"\r\n\r\n[]\r\n--xyz--\r\n',
    status: 400,
    code: "InvalidParameter.Form",
  },
  {
    name: "Message sent as a file",
    path: "/",
    body: () => {
      const data = new FormData();
      data.append("Message", new Blob([goodForm.Message]), "message.json");
      data.append("Token", TEST_IMS_TOKEN);
      return data;
    },
    status: 400,
    code: "InvalidParameter.Form",
  },
  { name: "GET on the Spec 2 route", path: "/", method: "GET", status: 405, code: "MethodNotAllowed" },
  { name: "more records than MAX_MESSAGES", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, Message: json(Array(4).fill({ role: "user", content: "hi" })) }), status: 413, code: "RequestTooLarge.Field", param: "Message" },
  { name: "a record over MAX_MESSAGE_CHARS", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, Message: json([{ role: "user", content: "x".repeat(101) }]) }), status: 413, code: "RequestTooLarge.Field", param: "Message.0" },
  { name: "Message over MAX_FIELD_CHARS", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, Message: json(Array(3).fill({ role: "user", content: "x".repeat(99) })) + " ".repeat(300) }), status: 413, code: "RequestTooLarge.Field", param: "Message" },
  { name: "ExtendData over MAX_FIELD_CHARS", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, ExtendData: json({ UserData: "u".repeat(600) }) }), status: 413, code: "RequestTooLarge.Field", param: "ExtendData" },
  { name: "Message nested deeper than MAX_JSON_DEPTH", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, Message: "[".repeat(9) }), status: 400, code: "InvalidParameter.NestingTooDeep", param: "Message" },
  { name: "a Python-style Message nested too deep", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, Message: "[{'role': 'user', 'content': 'hi', 'x': [[[[[[[[1]]]]]]]]}]" }), status: 400, code: "InvalidParameter.NestingTooDeep" },
  { name: "ExtendData nested deeper than MAX_JSON_DEPTH", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, ExtendData: "{\"a\":".repeat(9) }), status: 400, code: "InvalidParameter.NestingTooDeep", param: "ExtendData" },
  { name: "more fields than MAX_FORM_FIELDS", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, a: "1", b: "2", c: "3" }), status: 413, code: "RequestTooLarge.Field" },
  { name: "a repeated field counts each time", target: () => small, path: "/", headers: formHeaders, body: `${form(goodForm)}&Token=x&Token=y&Token=z`, status: 413, code: "RequestTooLarge.Field" },
  {
    name: "more multipart fields than MAX_FORM_FIELDS",
    target: () => small,
    path: "/",
    body: () => {
      const data = new FormData();
      for (const [name, value] of Object.entries(goodForm)) data.append(name, value);
      for (const extra of ["a", "b", "c"]) data.append(extra, "1");
      return data;
    },
    status: 413,
    code: "RequestTooLarge.Field",
  },
  { name: "body over MAX_BODY_BYTES", target: () => small, path: "/", headers: formHeaders, body: form({ ...goodForm, Message: json([{ role: "user", content: "x".repeat(4096) }]) }), status: 413, code: "RequestTooLarge" },
  { name: "UPSTREAM_BASE_URL at a metadata address", target: () => metadataUpstream, path: "/", headers: formHeaders, body: form(goodForm), status: 500, code: "InternalError.Configuration" },
  { name: "no IMS_TOKENS configured", target: () => closed, path: "/", headers: formHeaders, body: form(goodForm), status: 503, code: "ServiceUnavailable.AuthNotConfigured" },
];

async function send(testCase: Case) {
  const target = (testCase.target ?? (() => worker))();
  const body = typeof testCase.body === "function" ? testCase.body() : testCase.body;
  const response = await fetch(`${target.url}${testCase.path}`, {
    method: testCase.method ?? "POST",
    headers: testCase.headers ?? {},
    ...(body !== undefined && { body, duplex: "half" }),
  } as RequestInit);
  const text = await response.text();
  expect(response.status, text).toBe(testCase.status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return JSON.parse(text) as Record<string, unknown>;
}

const accepted = (testCase: Case) => testCase.status < 300;

describe("Spec 1 bad input → OpenAI error body", () => {
  it.each(spec1.map((testCase) => [testCase.name, testCase] as const))("%s", async (_, testCase) => {
    const body = await send(testCase);
    if (accepted(testCase)) return;
    expect(schemaViolation("openai-error", body)).toBeNull();
    const error = body.error as { code: string; param: string | null; message: string };
    if (testCase.code) expect(error.code).toBe(testCase.code);
    if (testCase.param) expect(error.param).toBe(testCase.param);
    expect(error.message).not.toMatch(/zod|issues|Invalid input/i);
  });
});

describe("Spec 2 bad input → Alibaba error body", () => {
  it.each(spec2.map((testCase) => [testCase.name, testCase] as const))("%s", async (_, testCase) => {
    const body = await send(testCase);
    if (accepted(testCase)) return;
    expect(schemaViolation("alibaba-error", body)).toBeNull();
    if (testCase.code) expect(body.Code).toBe(testCase.code);
    if (testCase.param) expect(body.Message).toMatch(new RegExp(`^${testCase.param.replace(/\./g, "\\.")}\\b`));
  });
});

describe("refused bodies", () => {
  // 160 MiB through workerd: on a saturated 2-core machine that alone passed the default 20 s.
  // What is checked is that no answer is lost to a reset, not how fast they come.
  it("are read to the end, so the answer reaches the client instead of a connection reset", { timeout: 90_000 }, async () => {
    const big = "x".repeat(2 * 1024 * 1024);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      for (const [path, headers] of [["/v1/chat/completions", { ...auth, "content-type": "text/plain" }], ["/", { "content-type": "text/plain" }]] as const) {
        const response = await fetch(`${worker.url}${path}`, { method: "POST", headers, body: big });
        await response.arrayBuffer();
        statuses.push(response.status);
      }
    }
    expect(new Set(statuses)).toEqual(new Set([415]));
  });
});
