// The ways IMS (and people testing by hand) reach the two routes, each answered in full.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docChatRequest, docConversation, docExtendData, docMessageSingleQuoted } from "../contracts/conformance/ims-requests.ts";
import { schemaViolation } from "../contracts/conformance/published-schemas.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

let worker: RunningWorker;
let open: RunningWorker;
beforeAll(async () => {
  [worker, open] = await Promise.all([startWorker(), startWorker({ API_KEYS: "", IMS_TOKENS: "", ALLOW_UNAUTHENTICATED: "true" })]);
});
afterAll(() => Promise.all([worker?.dispose(), open?.dispose()]));

const encoder = new TextEncoder();

async function streamText(response: Response) {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  expect(response.headers.get("cache-control")).toBe("no-cache");
  const lines = (await response.text()).split("\n").filter(Boolean);
  expect(lines.at(-1)).toBe("data: [DONE]");
  return lines
    .slice(0, -1)
    .map((line) => JSON.parse(line.slice("data: ".length)) as { choices: { delta: { content?: string } }[] })
    .map((chunk) => chunk.choices[0]?.delta.content ?? "")
    .join("");
}

describe("Spec 1 paths and keys", () => {
  const body = JSON.stringify(docChatRequest("abc"));
  const cases: [string, string, Record<string, string>][] = [
    ["/v1/chat/completions with a Bearer key", "/v1/chat/completions", { authorization: `Bearer ${TEST_API_KEY}` }],
    ["/chat/completions (base URL without /v1)", "/chat/completions", { authorization: `Bearer ${TEST_API_KEY}` }],
    ["a doubled slash from a trailing-slash base URL", "/v1//chat/completions", { authorization: `Bearer ${TEST_API_KEY}` }],
    ["a deep prefix", "/tenants/acme/llm/v1/chat/completions", { authorization: `Bearer ${TEST_API_KEY}` }],
    ["the key in IMS's extra query", `/v1/chat/completions?api-version=2024-02-01&api-key=${TEST_API_KEY}`, {}],
    ["the key in an api-key header", "/v1/chat/completions", { "api-key": TEST_API_KEY }],
  ];
  it.each(cases)("%s", async (_, path, headers) => {
    const response = await fetch(`${worker.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    expect(await streamText(response)).toContain('You said: "What will the weather be like tomorrow?"');
  });

  it("accepts any caller when ALLOW_UNAUTHENTICATED=true", async () => {
    const response = await fetch(`${open.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(await streamText(response)).toContain("demo model");
  });

  it("keeps unknown IMS fields and OpenAI options without complaint", async () => {
    const response = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${TEST_API_KEY}` },
      body: JSON.stringify({
        ...docChatRequest("abc"),
        extendData: { instanceId: "i", sentenceId: 12, brandNewField: { nested: true } },
        temperature: 0.3,
        max_tokens: 100,
        tools: [{ type: "function", function: { name: "hangup", parameters: { type: "object" } } }],
        somethingElse: 1,
      }),
    });
    expect(await streamText(response)).toContain("demo model");
  });
});

describe("Spec 2 encodings", () => {
  const fields = { Message: JSON.stringify(docConversation), Token: TEST_IMS_TOKEN, ExtendData: docExtendData };
  const post = async (init: RequestInit) => {
    const response = await fetch(`${worker.url}/`, { method: "POST", ...init });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = JSON.parse(text) as { Text: string };
    expect(schemaViolation("alibaba-text-response", body)).toBeNull();
    return body.Text;
  };
  const expected = 'This is the ims-llm-edge demo model. You said: "What will the weather be like tomorrow?". Set MODEL_PROVIDER to connect your own model.';

  it("urlencoded", async () => expect(await post({ body: new URLSearchParams(fields) })).toBe(expected));
  it("multipart", async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    expect(await post({ body: form })).toBe(expected);
  });
  it("no Content-Type at all, read as urlencoded (as aiohttp does)", async () => {
    expect(await post({ body: encoder.encode(new URLSearchParams(fields).toString()) })).toBe(expected);
  });
  it("the doc's single-quoted Message", async () => {
    expect(await post({ body: new URLSearchParams({ ...fields, Message: docMessageSingleQuoted }) })).toBe(expected);
  });
  it("a Python-literal Message with double quotes inside, escapes and None", async () => {
    const Message = `[{'role': 'system', 'content': "It's a test", 'name': None}, {'role': 'user', 'content': 'caf\\xe9 \\u4f60\\u597d \\'quoted\\''}]`;
    expect(await post({ body: new URLSearchParams({ ...fields, Message }) })).toContain(`You said: "café 你好 'quoted'"`);
  });
  it("without ExtendData, and with extra fields", async () => {
    expect(await post({ body: new URLSearchParams({ Message: fields.Message, Token: TEST_IMS_TOKEN, Extra: "1" }) })).toBe(expected);
  });
});
