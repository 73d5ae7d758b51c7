// The published JSON Schemas and the OpenAPI document, generated from the Zod contracts and
// the worker's error mapping, as file name -> text. scripts/schemas.ts writes or checks them;
// test/schemas.test.ts compares them with the committed files.
import * as z from "zod/mini";
import { CONTRACT_VERSION, publishedSchemas, schemaId } from "../contracts/index.ts";
import type { ErrorCode } from "../worker/http/api-error.ts";
import { wire } from "../worker/http/error-response.ts";
import { notUnderstood, type JsonSchema } from "../worker/http/schema-check.ts";
import { isRecord } from "../worker/is-record.ts";

/** The request schemas the worker checks requests with (worker/http/schema-check.ts), by published name. */
export const requestSchemaNames = ["openai-chat-request", "alibaba-form-request", "alibaba-message", "alibaba-extend-data"] as const;

/** Keywords that only document: the worker's copy of the request schemas goes without them. */
const DOC_KEYWORDS = new Set(["$schema", "$id", "x-version", "title", "description", "examples"]);
/** Keywords that, as notUnderstood() lets them be written ({} and {type: string}), allow what a JSON object holds anyway. */
const ALLOW_ANYTHING = new Set(["additionalProperties", "propertyNames"]);

/** `schema` with `each` applied to every object in it, innermost first; under properties and $defs the keys are names, not keywords. */
function mapSchema(schema: unknown, each: (node: Record<string, unknown>) => unknown): unknown {
  if (Array.isArray(schema)) return schema.map((item) => mapSchema(item, each));
  if (!isRecord(schema)) return schema;
  const names = (value: unknown) => Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, mapSchema(sub, each)]));
  return each(Object.fromEntries(Object.entries(schema).map(([keyword, value]) => [keyword, keyword === "properties" || keyword === "$defs" ? names(value) : mapSchema(value, each)])));
}

const omit = (node: Record<string, unknown>, keywords: ReadonlySet<string>) => Object.fromEntries(Object.entries(node).filter(([keyword]) => !keywords.has(keyword)));

/** A schema that says only what type a value has. */
const typesOnly = (schema: unknown): string[] | undefined =>
  isRecord(schema) && Object.keys(schema).length === 1 && schema.type !== undefined ? [schema.type as string | string[]].flat() : undefined;

/**
 * `schema` (which notUnderstood() accepts) as worker/http/schema-check.ts reads it, in fewer
 * bytes, every answer the same: without the keywords that allow anything, and with an anyOf of
 * bare types as their list (the checker says "expected a or b, got c" of both). A union nested
 * in another stays nested: flattened, it could name a different failure.
 */
export const forChecker = (schema: unknown): unknown =>
  mapSchema(schema, (node) => {
    const out = omit(node, ALLOW_ANYTHING);
    const types = Array.isArray(out.anyOf) && Object.keys(out).length === 1 ? (out.anyOf as unknown[]).map(typesOnly) : [];
    if (types.length === 0 || types.includes(undefined)) return out;
    const all = [...new Set(types.flat())];
    return { type: all.length === 1 ? all[0] : all };
  });

/** worker/http/request-schemas.json: the published request schemas, every rule kept, no documentation, written for the checker (forChecker). */
export function requestSchemasFile(files = publishedFiles()): string {
  const published = Object.fromEntries(requestSchemaNames.map((name) => [name, mapSchema(JSON.parse(files[`${name}.json`]!), (node) => omit(node, DOC_KEYWORDS)) as JsonSchema]));
  // The worker compiles these without looking twice: what its checker would not check is refused here.
  const problems = Object.entries(published).flatMap(([name, schema]) => notUnderstood(schema).map((problem) => `${name} ${problem}`));
  if (problems.length > 0) throw new Error(`worker/http/schema-check.ts cannot check the request schemas as written: ${problems.join("; ")}`);
  return JSON.stringify(forChecker(published)) + "\n";
}

export function publishedFiles(): Record<string, string> {
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
  /** What each failure means to a caller; the statuses come from the worker's one error mapping. */
  const errorMeanings: Record<ErrorCode, string> = {
    invalid_json: "the body is not JSON (or empty, or not UTF-8)",
    invalid_request: "a field is missing, mistyped or does not match the contract",
    invalid_form: "the form cannot be parsed, or a file stands where text belongs",
    unsupported_media_type: "the Content-Type is not the route's",
    payload_too_large: "the body is over MAX_BODY_BYTES",
    incomplete_body: "the upload broke off (bad chunked framing, a lost connection)",
    body_timeout: "the body took longer than BODY_TIMEOUT_MS to arrive",
    limit_exceeded: "over a limit on messages, one message's text, form fields or their size",
    nesting_too_deep: "nesting deeper than MAX_JSON_DEPTH",
    missing_credentials: "no API key or Token",
    invalid_credentials: "a wrong API key or Token",
    auth_not_configured: "the route has no keys configured (closed)",
    not_found: "no such route",
    model_not_found: "no MODELS route for this model id (Spec 1) or URL (Spec 2)",
    method_not_allowed: "the route takes POST only",
    rate_limited: "the caller's budget is spent (Retry-After)",
    upstream_error: "the model failed or answered out of contract",
    upstream_timeout: "the model did not answer in time",
    upstream_unavailable: "the model server could not be reached or failed (5xx)",
    upstream_rate_limited: "the model server is rate limiting the worker (Retry-After)",
    misconfigured: "the worker's settings cannot serve the call (see /health)",
    internal_error: "a fault in the worker",
  };

  /** Spec 2's operation, the same at / and at each route's URL. */
  const spec2Operation = (operationId: string, summary: string) => ({
    operationId,
    summary,
    requestBody: {
      required: true,
      content: {
        "application/x-www-form-urlencoded": { schema: ref("alibaba-form-request") },
        "multipart/form-data": { schema: ref("alibaba-form-request") },
      },
    },
    responses: {
      "200": { description: "The whole reply.", headers: requestIdHeader, content: { "application/json": { schema: ref("alibaba-text-response") } } },
      ...errorResponses("alibaba", "alibaba-error"),
    },
  });

  /** Codes a route never answers with: each route parses its own wire format. */
  const notOn: Record<"openai" | "alibaba", readonly ErrorCode[]> = { openai: ["invalid_form"], alibaba: ["invalid_json"] };

  /** Every status a route can answer with, from the error mapping, each listing its codes in the route's own terms. */
  function errorResponses(route: "openai" | "alibaba", schema: string) {
    const byStatus = new Map<number, string[]>();
    for (const [code, mapping] of Object.entries(wire) as [ErrorCode, (typeof wire)[ErrorCode]][]) {
      if (notOn[route].includes(code)) continue;
      const name = route === "openai" ? code : mapping.alibabaCode;
      byStatus.set(mapping.status, [...(byStatus.get(mapping.status) ?? []), `\`${name}\`: ${errorMeanings[code]}`]);
    }
    return Object.fromEntries(
      [...byStatus].sort(([a], [b]) => a - b).map(([status, meanings]) => [
        String(status),
        { description: `${meanings.join("; ")}.`, headers: requestIdHeader, content: { "application/json": { schema: ref(schema) } } },
      ]),
    );
  }

  /** Every answer carries it; logs carry the same id. */
  const requestIdHeader = { "x-request-id": { description: "The request's id, as in the worker's log line.", schema: { type: "string" } } };

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
              headers: requestIdHeader,
              content: {
                "text/event-stream": { schema: { type: "string" }, "x-event-schema": ref("openai-chat-chunk") },
                "application/json": { schema: ref("openai-chat-completion") },
              },
            },
            ...errorResponses("openai", "openai-error"),
          },
        },
      },
      "/": { post: spec2Operation("alibabaText", "Spec 2: Alibaba Cloud specification, form in, {Text} out") },
      "/spec2/{route}": {
        post: {
          ...spec2Operation("alibabaTextRoute", "Spec 2 for one MODELS route: one URL per IMS workflow"),
          parameters: [{ name: "route", in: "path", required: true, description: "A route of the MODELS table.", schema: { type: "string" } }],
        },
      },
      "/health": {
        get: {
          summary: "Readiness: whether each route can be served with the worker's settings",
          responses: {
            "200": { description: "Both routes can be served; the provider and each route's auth (keys, open, closed).", headers: requestIdHeader },
            "503": { description: "A route cannot be served: `problems.spec1` and `problems.spec2` name the settings to fix, never their values.", headers: requestIdHeader },
          },
        },
      },
      "/schemas/": { get: { summary: "Index of the published JSON Schemas", responses: { "200": { description: "index", headers: requestIdHeader } } } },
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
  return files;
}
