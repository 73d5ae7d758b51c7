// /health is a readiness check: it answers 503 naming what stops each route whenever the
// settings cannot serve it, never quoting a setting's value; a misconfiguration is an error
// the operator sees (500, logged at error level) even when FALLBACK_TEXT is set; and every
// answer the worker gives carries x-request-id.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docConversation } from "../contracts/conformance/ims-requests.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

/** A value that must never show up in /health, whichever setting holds it. */
const SECRET = "sk-health-secret-7731";
const FALLBACK = "Sorry, say that again?";

const cases = {
  demo: {},
  openaiWithoutUrl: { MODEL_PROVIDER: "openai", UPSTREAM_API_KEY: SECRET },
  workersAiWithoutBinding: { MODEL_PROVIDER: "workers-ai", FALLBACK_TEXT: FALLBACK },
  openaiWithoutModel: { MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: "https://llm.example.com/v1", UPSTREAM_API_KEY: SECRET },
  badSetting: { MAX_BODY_BYTES: SECRET, API_KEYS: SECRET },
  badSettings: { MODEL_PROVIDER: SECRET, IDLE_TIMEOUT_MS: SECRET, MAX_BODY_BYTES: "-1", MODELS: `{"${SECRET}`, API_KEYS: SECRET },
  spec2Alias: { MODEL_PROVIDER: "alibaba", UPSTREAM_BASE_URL: "https://spec2.example.com/" },
} satisfies Record<string, Record<string, string>>;
type Name = keyof typeof cases;

const workers: Partial<Record<Name, RunningWorker>> = {};
const logs: { level: string; message: string }[] = [];
beforeAll(async () => {
  await Promise.all(
    Object.entries(cases).map(async ([name, vars]) => {
      workers[name as Name] = await startWorker(vars, name === "workersAiWithoutBinding" ? { onLog: (line) => logs.push(line) } : {});
    }),
  );
});
afterAll(() => Promise.all(Object.values(workers).map((worker) => worker.dispose())));

async function health(name: Name) {
  const response = await fetch(`${workers[name]!.url}/health`);
  const text = await response.text();
  expect(text).not.toContain(SECRET);
  expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  return { status: response.status, body: JSON.parse(text) as { status: string; provider?: string; problems: { spec1: string[]; spec2: string[] } } };
}

describe("/health is a readiness check", () => {
  it("the demo model serves both routes: 200, no problems", async () => {
    const { status, body } = await health("demo");
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "ok", provider: "demo", problems: { spec1: [], spec2: [] } });
  });

  it("answers HEAD as GET, without the body: a load balancer's health check sends HEAD", async () => {
    const ready = await fetch(`${workers.demo!.url}/health`, { method: "HEAD" });
    expect([ready.status, await ready.text()]).toEqual([200, ""]);
    expect(ready.headers.get("content-type")).toMatch(/^application\/json/);
    const broken = await fetch(`${workers.openaiWithoutUrl!.url}/health`, { method: "HEAD" });
    expect(broken.status).toBe(503);
  });

  it("openai without UPSTREAM_BASE_URL: 503, both routes name the setting", async () => {
    const { status, body } = await health("openaiWithoutUrl");
    expect(status).toBe(503);
    expect(body.status).toBe("unavailable");
    expect(body.problems.spec1).toEqual(["MODEL_PROVIDER openai needs UPSTREAM_BASE_URL."]);
    expect(body.problems.spec2[0]).toBe("MODEL_PROVIDER openai needs UPSTREAM_BASE_URL.");
  });

  it("workers-ai without the AI binding: 503, both routes name the binding", async () => {
    const { status, body } = await health("workersAiWithoutBinding");
    expect(status).toBe(503);
    for (const problems of [body.problems.spec1, body.problems.spec2]) expect(problems).toEqual([expect.stringContaining("the AI binding")]);
  });

  it("openai without UPSTREAM_MODEL: 503 for Spec 2 only, which sends no model name", async () => {
    const { status, body } = await health("openaiWithoutModel");
    expect(status).toBe(503);
    expect(body.problems).toEqual({ spec1: [], spec2: ["MODEL_PROVIDER openai needs UPSTREAM_MODEL for Spec 2, whose calls name no model."] });
  });

  it("a setting that does not parse: 503 naming the setting, never its value", async () => {
    const { status, body } = await health("badSetting");
    expect(status).toBe(503);
    expect(body.problems.spec1).toEqual(["Setting MAX_BODY_BYTES must be a positive integer."]);
    expect(body.provider).toBeUndefined();
  });

  it("several settings that do not parse: 503 naming every one of them, in one answer", async () => {
    const { status, body } = await health("badSettings");
    expect(status).toBe(503);
    const named = [
      expect.stringMatching(/^Setting MODEL_PROVIDER must be one of /),
      "Setting IDLE_TIMEOUT_MS must be a positive integer.",
      "Setting MAX_BODY_BYTES must be a positive integer.",
      "Setting MODELS is not valid JSON.",
    ];
    expect(body.problems).toEqual({ spec1: named, spec2: named });
  });

  it("MODEL_PROVIDER=alibaba is still the Spec 2 bridge, reported by its name spec2", async () => {
    const { status, body } = await health("spec2Alias");
    expect(status).toBe(200);
    expect(body.provider).toBe("spec2");
  });
});

describe("FALLBACK_TEXT never hides a misconfiguration", () => {
  it("workers-ai without the binding answers 500 misconfigured on both routes, logged at error level", async () => {
    const base = workers.workersAiWithoutBinding!.url;
    const spec1 = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: docConversation }),
    });
    expect(spec1.status).toBe(500);
    expect(((await spec1.json()) as { error: { code: string } }).error.code).toBe("misconfigured");
    const spec2 = await fetch(`${base}/`, { method: "POST", body: new URLSearchParams({ Message: JSON.stringify(docConversation), Token: TEST_IMS_TOKEN }) });
    expect(spec2.status).toBe(500);
    expect(((await spec2.json()) as { Code: string }).Code).toBe("InternalError.Configuration");
    await expect.poll(() => logs.filter((line) => line.message.includes('"code":"misconfigured"')).length, { timeout: 5000 }).toBe(2);
    for (const line of logs.filter((line) => line.message.includes('"code":"misconfigured"'))) {
      expect(JSON.parse(line.message)).toMatchObject({ level: "error", status: 500, outcome: "error" });
    }
  });
});

const chatCall = (stream: boolean): RequestInit => ({
  method: "POST",
  headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
  body: JSON.stringify({ model: "demo", stream, messages: docConversation }),
});

describe("every answer carries x-request-id", () => {
  const paths: [string, string, RequestInit][] = [
    ["/health", "/health", {}],
    ["the schema index", "/schemas/", {}],
    ["a schema", "/schemas/openai-chat-chunk.json", {}],
    ["the OpenAPI document", "/openapi.json", {}],
    ["a 404", "/nowhere", {}],
    ["a 405", "/v1/chat/completions", {}],
    ["a preflight without CORS (405)", "/v1/chat/completions", { method: "OPTIONS" }],
    ["a Spec 1 stream", "/v1/chat/completions", chatCall(true)],
    ["a Spec 1 answer with stream: false", "/v1/chat/completions", chatCall(false)],
    ["a Spec 2 answer", "/", { method: "POST", body: new URLSearchParams({ Message: JSON.stringify(docConversation), Token: TEST_IMS_TOKEN }) }],
    // Refusals take the error mapping's way out, which leaves the id to the router too.
    ["a Spec 1 refusal (401)", "/v1/chat/completions", { method: "POST", body: "{}" }],
    ["a Spec 2 refusal (401), whose body names the same id", "/", { method: "POST", body: new URLSearchParams({ Message: "[]" }) }],
  ];
  it.each(paths)("%s", async (name, path, init) => {
    const response = await fetch(`${workers.demo!.url}${path}`, init);
    const text = await response.text();
    if (init.method === "POST") expect(response.status).toBe(name.includes("refusal") ? 401 : 200);
    const id = response.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    if (text.includes('"RequestId"')) expect((JSON.parse(text) as { RequestId: string }).RequestId).toBe(id);
  });
});
