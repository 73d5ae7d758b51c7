// Writes the published JSON Schemas and the OpenAPI document from the Zod contracts.
// With --check it writes nothing and fails when the committed files differ, so the
// published artifacts can never drift from the source that validates requests.
import { readFileSync, writeFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";
import { CONTRACT_VERSION, publishedSchemas, schemaId } from "../contracts/index.ts";

const outDir = join(import.meta.dirname, "..", "contracts", "json-schema");
const check = process.argv.includes("--check");


const jsonSchemas = Object.fromEntries(
  publishedSchemas.map(({ name, schema, io }) => {
    const body = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "throw" });
    const { $schema, ...rest } = body;
    return [name, { $schema, $id: schemaId(name), "x-version": CONTRACT_VERSION, ...rest }];
  }),
);

// Relative references: resolved against /openapi.json they land on the served /schemas/ files,
// which keeps the document small and the schemas in one place.
const ref = (name: string) => ({ $ref: `schemas/${name}.json` });
const errorResponses = (schema: string, statuses: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => [
      status,
      { description, content: { "application/json": { schema: ref(schema) } } },
    ]),
  );

const openapi = {
  openapi: "3.1.0",
  info: {
    title: "ims-llm-edge",
    version: CONTRACT_VERSION,
    description:
      "The two ways Alibaba Cloud IMS real-time workflows call a self-developed LLM. Spec 1 is served under any path prefix (IMS appends /chat/completions to the configured base URL).",
  },
  paths: {
    "/chat/completions": {
      post: {
        operationId: "createChatCompletion",
        summary: "Spec 1: OpenAI chat completions, streamed as server-sent events",
        security: [{ bearer: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }],
        requestBody: { required: true, content: { "application/json": { schema: ref("openai-chat-request") } } },
        responses: {
          "200": {
            description:
              "With stream: true (what IMS sends), text/event-stream of `data: <openai-chat-chunk>` lines ending with `data: [DONE]`; a failure after the stream began is one `data: <openai-error>` event and no [DONE]. With stream: false, one openai-chat-completion.",
            content: {
              "text/event-stream": { schema: { type: "string" }, "x-event-schema": ref("openai-chat-chunk") },
              "application/json": { schema: ref("openai-chat-completion") },
            },
          },
          ...errorResponses("openai-error", {
            "400": "Malformed JSON, nesting deeper than the limit, or a request that does not match the contract.",
            "401": "Missing or wrong API key.",
            "404": "No such route.",
            "405": "Method not allowed on this route.",
            "413": "Request body too large, or over a limit on messages or on one message's text.",
            "415": "Content-Type is not application/json.",
            "429": "Rate limited, here or upstream.",
            "502": "The model upstream failed before the stream began.",
            "503": "The worker is not configured to accept this route.",
            "504": "The model upstream did not answer in time.",
          }),
        },
      },
    },
    "/": {
      post: {
        operationId: "alibabaText",
        summary: "Spec 2: Alibaba Cloud specification, form in, {Text} out",
        requestBody: {
          required: true,
          content: {
            "application/x-www-form-urlencoded": { schema: ref("alibaba-form-request") },
            "multipart/form-data": { schema: ref("alibaba-form-request") },
          },
        },
        responses: {
          "200": { description: "The whole reply.", content: { "application/json": { schema: ref("alibaba-text-response") } } },
          ...errorResponses("alibaba-error", {
            "400": "A field is missing, mistyped or unparseable.",
            "401": "Missing or wrong Token.",
            "404": "No such route.",
            "405": "Method not allowed on this route.",
            "413": "Request body too large, or over a limit on fields, their size, or messages.",
            "415": "Not form data.",
            "429": "Rate limited, here or upstream.",
            "502": "The model upstream failed.",
            "503": "The worker is not configured to accept this route.",
            "504": "The model upstream did not answer in time.",
          }),
        },
      },
    },
    "/health": { get: { summary: "Liveness", responses: { "200": { description: "ok" } } } },
    "/schemas/": { get: { summary: "Index of the published JSON Schemas", responses: { "200": { description: "index" } } } },
  },
  components: {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", description: "The API-KEY entered in the IMS console." },
      apiKeyHeader: { type: "apiKey", in: "header", name: "api-key" },
      apiKeyQuery: { type: "apiKey", in: "query", name: "api-key" },
    },
  },
};

const files: Record<string, string> = {};
for (const [name, schema] of Object.entries(jsonSchemas)) files[`${name}.json`] = JSON.stringify(schema, null, 2) + "\n";
files["openapi.json"] = JSON.stringify(openapi, null, 2) + "\n";
// The conformance checks import the schemas through this module, so a bundled
// ims-llm-verify carries them; .assetsignore keeps it out of the published files.
const camel = (name: string) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
files["index.ts"] =
  "// Generated by scripts/schemas.ts from the Zod contracts; do not edit. `npm run schemas` rewrites it.\n" +
  Object.keys(jsonSchemas).map((name) => `import ${camel(name)} from "./${name}.json" with { type: "json" };\n`).join("") +
  `\nexport const schemas: Record<string, object> = {\n` +
  Object.keys(jsonSchemas).map((name) => `  "${name}": ${camel(name)},\n`).join("") +
  "};\n";

// The worker serves this directory as static assets; the index lists what is published.
files["index.json"] =
  JSON.stringify(
    {
      version: CONTRACT_VERSION,
      openapi: "/openapi.json",
      schemas: Object.entries(jsonSchemas).map(([name, schema]) => ({
        name,
        $id: schema.$id,
        title: schema.title,
        description: schema.description,
        url: `/schemas/${name}.json`,
      })),
    },
    null,
    2,
  ) + "\n";

const existing = new Set(readdirSync(outDir));
const drift = Object.keys(files).filter((file) => !existing.has(file) || readFileSync(join(outDir, file), "utf8") !== files[file]);
const stale = [...existing].filter((file) => !(file in files) && !file.startsWith("."));

if (check) {
  if (drift.length || stale.length) {
    console.error(`contracts/json-schema is out of date (${[...drift, ...stale].join(", ")}): run npm run schemas and commit.`);
    process.exit(1);
  }
  console.log(`contracts/json-schema matches the Zod contracts (${Object.keys(files).length} files).`);
} else {
  for (const file of drift) writeFileSync(join(outDir, file), files[file]!);
  for (const file of stale) rmSync(join(outDir, file));
  console.log(`wrote ${drift.length} file(s), removed ${stale.length}, in contracts/json-schema`);
}
