// The worker checks requests with the published JSON Schemas (worker/http/schema-check.ts);
// the contracts are Zod. These tests hold the two to the same answer on generated requests,
// and to naming the field Zod names first.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type * as z from "zod/mini";
import { ExtendDataField, FormRequest, MessageField } from "../../contracts/alibaba/form-request.ts";
import { docChatRequest, docConversation, fullExtendData, multimodalChatRequest, twentyMessageChatRequest } from "../../contracts/conformance/ims-requests.ts";
import { ChatRequest } from "../../contracts/openai/chat-request.ts";
import { forChecker, publishedFiles, requestSchemasFile } from "../../scripts/published-files.ts";
import { chatRequestCheck, extendDataFieldCheck, formRequestCheck, messageFieldCheck } from "../../worker/http/request-checks.ts";
import requestSchemas from "../../worker/http/request-schemas.json" with { type: "json" };
import { compileSchema, notUnderstood, type SchemaCheck } from "../../worker/http/schema-check.ts";
import { validate } from "../../worker/http/validate.ts";

/** A request using every field and every message form the contract has. */
const everyField = {
  model: "m",
  stream: true,
  messages: [
    { role: "system", content: "s", name: "n" },
    { role: "developer", content: [{ type: "text", text: "d" }] },
    { role: "user", content: [{ type: "text", text: "u" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA", detail: "low" } }] },
    { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
    { role: "tool", content: "r", tool_call_id: "c1" },
    { role: "function", content: null, name: "f" },
    { role: "plugin", content: "p" },
  ],
  extendData: fullExtendData,
  temperature: 0.5,
  top_p: 1,
  max_tokens: 10,
  max_completion_tokens: 10,
  n: 1,
  stop: ["a"],
  presence_penalty: 0,
  frequency_penalty: 0,
  seed: 7,
  user: "u",
  tools: [{ type: "function", function: { name: "f", description: "d", parameters: { type: "object" } } }],
  tool_choice: { type: "function" },
  parallel_tool_calls: false,
  response_format: { type: "text" },
  stream_options: { include_usage: true },
};

/** Values that sit on the contract's edges: wrong types, nulls, near-miss numbers and roles, shapes of other fields. */
const edge = fc.constantFrom<unknown>(
  null, true, 0, 1, -1, 1.5, 2 ** 53, 1e300, "", "x", "text", "image_url", "function", "user", "system", "assistant", "tool", "plugin",
  [], [""], [{}], {}, { type: "text" }, { type: "text", text: "t" }, { type: "image_url", image_url: { url: "u" } }, { role: "user", content: "c" },
  { id: "i", type: "function", function: { name: "n", arguments: "" } }, { type: "function", function: { name: "n" } }, { type: "x" }, { include_usage: null },
);

type Path = (string | number)[];

function pathsOf(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return [path, ...value.flatMap((item, i) => pathsOf(item, [...path, i]))];
  if (value !== null && typeof value === "object") return [path, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...path, key]))];
  return [path];
}

type Edit = { at: number; op: "set" | "delete" | "add"; value: unknown };

/** `sample` with each edit applied at one of its paths (picked by `at`): a value replaced, a key or item removed, an unknown key added. */
function edited(sample: unknown, edits: readonly Edit[]): unknown {
  let root = structuredClone(sample);
  for (const { at, op, value } of edits) {
    const paths = pathsOf(root);
    const path = paths[at % paths.length]!;
    if (path.length === 0) {
      if (op === "set") root = structuredClone(value);
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root) as Record<string | number, unknown>;
    const key = path.at(-1)!;
    if (op === "set") parent[key] = structuredClone(value);
    else if (op === "delete") Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key];
    else if (!Array.isArray(parent)) parent[`extra${at % 3}`] = structuredClone(value);
  }
  return root;
}

const edits = fc.array(
  fc.record({ at: fc.nat(), op: fc.constantFrom<Edit["op"]>("set", "set", "delete", "add"), value: fc.oneof({ weight: 4, arbitrary: edge }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }) }),
  { maxLength: 4 },
);

/** Small requests, so an edit lands on each of their few fields often. */
const numbers = { model: "m", messages: [{ role: "user", content: "u" }], max_tokens: 1, max_completion_tokens: 1, seed: 1, n: 1, temperature: 1, top_p: 1 };
const options = { model: "m", messages: [{ role: "assistant", tool_calls: [] }], stop: "s", tool_choice: "auto", response_format: { type: "json" }, stream_options: {}, extendData: { sentenceId: 1 } };

const cases: [string, z.ZodMiniType, SchemaCheck<unknown>, unknown[]][] = [
  ["openai-chat-request", ChatRequest, chatRequestCheck, [everyField, numbers, options, docChatRequest("m"), twentyMessageChatRequest("m"), multimodalChatRequest("m")]],
  ["alibaba-form-request", FormRequest, formRequestCheck, [{ Message: "[]", Token: "t", ExtendData: "{}" }, { Message: "x" }]],
  ["alibaba-message", MessageField, messageFieldCheck, [docConversation, [{ role: "plugin", content: "" }]]],
  ["alibaba-extend-data", ExtendDataField, extendDataFieldCheck, [{ InstanceId: "i", UserData: "{}" }, {}]],
];

describe.each(cases)("the worker's %s check and the Zod contract", (_name, zod, check, samples) => {
  it("accept and refuse the same edited requests, and name the field Zod names first", () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), edits, (sample, changes) => {
        const value = edited(sample, changes);
        const zodResult = zod.safeParse(value);
        const failure = check(value);
        expect(failure === undefined, JSON.stringify(value)).toBe(zodResult.success);
        if (failure && !zodResult.success) {
          // Zod reports a union's failure at the union; the check goes on into the form that was meant.
          const zodPath = zodResult.error.issues[0]!.path;
          expect(failure.path.slice(0, zodPath.length), JSON.stringify(value)).toEqual(zodPath);
        }
      }),
      { numRuns: 6000 },
    );
  });

  it("accept the same arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(check(value) === undefined).toBe(zod.safeParse(value).success);
      }),
      { numRuns: 1000 },
    );
  });
});

describe.each(cases)("the worker's copy of %s", (name, _zod, check, samples) => {
  // request-schemas.json is written smaller than the published schema (scripts/published-files.ts): the answers must not change.
  const published = compileSchema(JSON.parse(publishedFiles()[`${name}.json`]!) as Record<string, unknown>);
  it("answers every edited request exactly as the published schema does: the same field, the same message", () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), edits, (sample, changes) => {
        const value = edited(sample, changes);
        expect(check(value), JSON.stringify(value)).toEqual(published(value));
      }),
      { numRuns: 6000 },
    );
  });
});

describe("the worker's copy of a schema", () => {
  it.each([
    ["a union of bare types becomes their list", { anyOf: [{ type: "string" }, { anyOf: [{ type: ["number", "string"] }, { type: "null" }] }] }, { type: ["string", "number", "null"] }],
    ["a union nested in another keeps its place", { anyOf: [{ anyOf: [{ type: "string" }, { type: "array" }] }, { type: "number", minimum: 0 }] }, { anyOf: [{ type: ["string", "array"] }, { type: "number", minimum: 0 }] }],
    // Flattened, [] would be refused as "expected string, got array" rather than "expected string or null, got array".
    ["a union beside bare types is not flattened", { anyOf: [{ anyOf: [{ type: "string" }, { type: "array", minItems: 1 }] }, { type: "null" }] }, { anyOf: [{ anyOf: [{ type: "string" }, { type: "array", minItems: 1 }] }, { type: "null" }] }],
    ["keywords that allow anything are left out", { type: "object", properties: { a: { type: "object", propertyNames: { type: "string" }, additionalProperties: {} } }, additionalProperties: {} }, { type: "object", properties: { a: { type: "object" } } }],
  ])("%s, and answers as the original does", (_case, schema, copy) => {
    expect(forChecker(schema)).toEqual(copy);
    for (const value of [-1, 1, "s", null, [], [1], {}, { a: 1 }, { a: {} }, true]) expect(compileSchema(copy)(value), JSON.stringify(value)).toEqual(compileSchema(schema)(value));
  });
});

describe("schema-check", () => {
  it("returns the checked value itself: nothing is copied", () => {
    expect(validate(chatRequestCheck, everyField)).toBe(everyField);
  });

  it("names what it would not check, so npm run schemas refuses to write a request schema the worker cannot hold requests to", () => {
    expect(notUnderstood({ type: "object", properties: { a: { type: "string", pattern: "^a" } } })).toEqual(["#/properties/a: keyword pattern"]);
    expect(notUnderstood({ type: "object", additionalProperties: false })).toEqual(["#: additionalProperties other than {}"]);
    expect(notUnderstood({ type: "object", propertyNames: { minLength: 1 } })).toEqual(["#: propertyNames other than {type: string}"]);
    expect(notUnderstood({ type: "object", required: ["a"] })).toEqual(["#: required field a has no properties entry"]);
    expect(notUnderstood({ items: { $ref: "#/$defs/Nope" } })).toEqual(["#/items: $ref #/$defs/Nope does not resolve"]);
    expect(notUnderstood({ anyOf: [{ oneOf: [{ type: "number" }, { type: "integer" }] }] })).toEqual(["#/anyOf/0: a oneOf no constant field tells apart"]);
    expect(notUnderstood({ $defs: { A: { format: "email" } }, $ref: "#/$defs/A" })).toEqual(["#/$defs/A: keyword format"]);
    for (const [name, schema] of Object.entries(requestSchemas)) expect(notUnderstood(schema), name).toEqual([]);
  });

  it("npm run schemas refuses to write a request schema with a keyword the checker does not know", () => {
    const files = publishedFiles();
    const request = JSON.parse(files["openai-chat-request.json"]!) as { properties: { model: Record<string, unknown> } };
    request.properties.model.pattern = "^[a-z]+$";
    expect(() => requestSchemasFile({ ...files, "openai-chat-request.json": JSON.stringify(request) })).toThrow(/openai-chat-request #\/properties\/model: keyword pattern/);
    expect(() => requestSchemasFile(files)).not.toThrow();
  });

  it.each([
    [{ minItems: 1 }, [], "must have at least 1 item(s)"],
    [{ type: "integer", minimum: 0 }, -1, "must be at least 0"],
    [{ type: "integer", maximum: 9 }, 10, "must be at most 9"],
    [{ type: "integer" }, 1.5, "expected integer, got number"],
    [{ enum: ["a", "b"] }, "c", 'must be one of "a", "b"'],
    [{ type: "string", not: { enum: ["a"] } }, "a", "is not valid"],
    [{ anyOf: [{ type: "string" }, { type: ["array", "null"] }] }, 5, "expected string or array or null, got number"],
  ])("%j refuses %j: %s", (schema, value, message) => {
    expect(compileSchema(schema)(value)?.message).toBe(message);
  });

  it("a discriminated union checks only the form its field picks, and lists the values when none is picked", () => {
    const check = compileSchema({
      oneOf: [
        { type: "object", properties: { kind: { const: "a" }, n: { type: "number" } }, required: ["kind", "n"] },
        { type: "object", properties: { kind: { const: "b" } }, required: ["kind"] },
      ],
    });
    expect(check({ kind: "a" })).toEqual({ path: ["n"], message: "is required" });
    expect(check({ kind: "b", n: "not checked" })).toBeUndefined();
    expect(check({ kind: "c" })).toEqual({ path: ["kind"], message: 'must be one of "a", "b"' });
    expect(check({ kind: 1 })).toEqual({ path: ["kind"], message: "expected string, got number" });
    expect(check({})).toEqual({ path: ["kind"], message: "is required" });
    expect(check([])).toMatchObject({ path: [], message: "expected object, got array" });
  });

  it("reads only a value's own fields", () => {
    const check = compileSchema({ type: "object", properties: { constructor: { type: "string" } }, required: ["constructor"] });
    expect(check({})).toEqual({ path: ["constructor"], message: "is required" });
  });
});
