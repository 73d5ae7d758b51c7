// The published artifacts: what the worker serves is what is committed, every schema
// compiles as JSON Schema 2020-12, and the doc's own examples validate.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docChatRequest, docForm, multimodalChatRequest, twentyMessageChatRequest } from "../contracts/conformance/ims-requests.ts";
import { schemaViolation } from "../contracts/conformance/published-schemas.ts";
import { publishedFiles, requestSchemasFile } from "../scripts/published-files.ts";
import { wire } from "../worker/http/error-response.ts";
import { root } from "./support/paths.ts";
import { startWorker, type RunningWorker } from "./support/start-worker.ts";

let worker: RunningWorker;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(() => worker?.dispose());

const committed = (file: string) => JSON.parse(readFileSync(join(root, "contracts", "json-schema", file), "utf8")) as Record<string, unknown>;
const schemaFiles = readdirSync(join(root, "contracts", "json-schema")).filter((file) => file.endsWith(".json") && !["openapi.json", "index.json"].includes(file));

describe("served schemas", () => {
  it("the index lists every committed schema, and each is served exactly as committed", async () => {
    const index = (await (await fetch(`${worker.url}/schemas/`)).json()) as { version: string; schemas: { name: string; url: string; $id: string }[] };
    expect(index.schemas.map((entry) => `${entry.name}.json`).sort()).toEqual([...schemaFiles].sort());
    for (const entry of index.schemas) {
      const response = await fetch(new URL(entry.url, worker.url));
      expect(response.headers.get("content-type")).toBe("application/schema+json");
      expect(await response.json()).toEqual(committed(`${entry.name}.json`));
    }
  });

  it("every served schema compiles as draft 2020-12 with a stable $id, a version, a title and a description", async () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: "x-version", schemaType: "string" });
    for (const file of schemaFiles) {
      const schema = (await (await fetch(`${worker.url}/schemas/${file}`)).json()) as Record<string, unknown>;
      expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(schema.$id).toMatch(/^urn:ims-llm-edge:schema:[a-z-]+:v\d+$/);
      expect(schema["x-version"]).toMatch(/^\d+\.\d+\.\d+$/);
      expect(typeof schema.title).toBe("string");
      expect(typeof schema.description).toBe("string");
      expect(() => ajv.compile(schema), file).not.toThrow();
    }
  });

  it.each(["nope", "openai-nope", "index", "openapi", "..%2Fwrangler"])("an unknown schema name (%s) is a 404 in the OpenAI error shape", async (name) => {
    const response = await fetch(`${worker.url}/schemas/${name}.json`);
    expect(response.status).toBe(404);
    expect(schemaViolation("openai-error", await response.json())).toBeNull();
  });

  it("publishes nothing but the schemas, the index and the OpenAPI document", async () => {
    for (const path of ["/index.json", "/openai-error.json", "/schemas/../index.json"]) {
      expect((await fetch(`${worker.url}${path}`)).status, path).toBe(404);
    }
  });

  it("serves an OpenAPI 3.1 document whose references resolve to the served schemas", async () => {
    const response = await fetch(`${worker.url}/openapi.json`);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/chat/completions", "/"]));
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of new Set(refs)) {
      const target = new URL(JSON.parse(`{${ref}}`).$ref, `${worker.url}/openapi.json`);
      expect((await fetch(target)).status, target.href).toBe(200);
    }
  });
});

describe("published files", () => {
  const dir = join(root, "contracts", "json-schema");

  it("are exactly what the Zod contracts and the error mapping generate: no drift", () => {
    const generated = publishedFiles();
    expect(readdirSync(dir).filter((file) => !file.startsWith(".")).sort()).toEqual(Object.keys(generated).sort());
    for (const [file, text] of Object.entries(generated)) expect(readFileSync(join(dir, file), "utf8"), `${file}: run npm run schemas`).toBe(text);
  });

  it("the worker checks requests with the published request schemas, every rule kept and only the documentation (and keywords that allow anything) left out", () => {
    const checked = JSON.parse(readFileSync(join(root, "worker", "http", "request-schemas.json"), "utf8")) as Record<string, unknown>;
    expect(JSON.stringify(checked) + "\n", "run npm run schemas").toBe(requestSchemasFile());
    expect(Object.keys(checked).sort()).toEqual(["alibaba-extend-data", "alibaba-form-request", "alibaba-message", "openai-chat-request"]);
    // The role rule of OtherMessage lives in the published schema's `not`: it must reach the worker.
    expect(JSON.stringify(checked["openai-chat-request"])).toContain('"not":{"enum":["system","developer","user","assistant","tool","function"]}');
    expect(JSON.stringify(checked)).not.toMatch(/"(description|title|\$id)":"/);
  });

  it("the OpenAPI document lists, on both routes, every error status of the error mapping", () => {
    const paths = committed("openapi.json").paths as Record<string, { post: { responses: Record<string, unknown> } }>;
    const statuses = [...new Set(Object.values(wire).map((mapping) => String(mapping.status)))].sort();
    for (const path of ["/chat/completions", "/"]) expect(Object.keys(paths[path]!.post.responses).filter((status) => status !== "200").sort(), path).toEqual(statuses);
  });
});

describe("the doc's examples validate", () => {
  it("Spec 1 requests as IMS sends them", () => {
    expect(schemaViolation("openai-chat-request", docChatRequest("abc"))).toBeNull();
    expect(schemaViolation("openai-chat-request", twentyMessageChatRequest("abc"))).toBeNull();
    expect(schemaViolation("openai-chat-request", multimodalChatRequest("abc"))).toBeNull();
    expect(schemaViolation("openai-chat-request", { ...docChatRequest("abc"), extendData: { instanceId: "x", futureField: { a: 1 } }, temperature: 0.2 })).toBeNull();
  });

  it("a chunk the worker streamed", async () => {
    const response = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-test-key-1", "content-type": "application/json" },
      body: JSON.stringify(docChatRequest("abc")),
    });
    const first = (await response.text()).split("\n")[0]!;
    expect(schemaViolation("openai-chat-chunk", JSON.parse(first.slice("data: ".length)))).toBeNull();
  });

  it("Spec 2 form, Message, ExtendData and responses", () => {
    const form = docForm("t", "json");
    expect(schemaViolation("alibaba-form-request", form)).toBeNull();
    expect(schemaViolation("alibaba-message", JSON.parse(form.Message))).toBeNull();
    expect(schemaViolation("alibaba-extend-data", JSON.parse(form.ExtendData))).toBeNull();
    expect(schemaViolation("alibaba-text-response", { Text: "x" })).toBeNull();
    expect(schemaViolation("alibaba-text-response", { Text: "Hello. I am your AI assistant." })).toBeNull();
    expect(schemaViolation("alibaba-text-response", { Text: 1 })).not.toBeNull();
    expect(schemaViolation("alibaba-text-response", { Text: "x", extra: 1 })).not.toBeNull();
  });
});
