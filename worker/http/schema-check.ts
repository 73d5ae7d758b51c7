import { isRecord } from "../is-record.ts";

/**
 * Checks values against the JSON Schema the Zod contracts publish, compiled once into closures.
 * The worker validates with the published document rather than with Zod's runtime: the rules
 * partners' validators apply, at a fraction of the bundle, and nothing is copied (a checked
 * value is returned as it came). Only the keywords the contracts produce are understood; any
 * other stops compilation, so a contract that starts using one cannot go unchecked.
 */

/** Why a value failed: where (from the checked value down) and one short phrase. */
export interface Failure {
  path: readonly PropertyKey[];
  message: string;
  /** Set when the value failed on its type alone, so a union of such failures can list the types. */
  expected?: string;
}

/** A compiled schema for values of type T, the Zod contract's type (test/unit/schema-check.test.ts holds the two to the same answers). */
export interface SchemaCheck<T> {
  (value: unknown): Failure | undefined;
  /** Carries T for validate(); never set. */
  readonly checks?: T;
}

export type JsonSchema = { readonly [keyword: string]: unknown };

type Check = (value: unknown) => Failure | undefined;

const KEYWORDS = new Set(["type", "const", "enum", "not", "anyOf", "oneOf", "$ref", "$defs", "items", "minItems", "minimum", "maximum", "properties", "required", "additionalProperties", "propertyNames"]);

/** `{}`: anything. The lenient contracts give it for unknown fields and record values. */
const isEmpty = (schema: unknown) => isRecord(schema) && Object.keys(schema).length === 0;

const typeOf = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

const hasType = (value: unknown, type: string) =>
  type === "integer" ? Number.isInteger(value) : type === "object" ? isRecord(value) : typeOf(value) === type;

const quoted = (values: readonly unknown[]) => values.map((value) => JSON.stringify(value)).join(", ");

const at = (key: PropertyKey, failure: Failure | undefined): Failure | undefined => failure && { path: [key, ...failure.path], message: failure.message };

/**
 * The failure a union reports: when every form failed on its type at the top, the types it
 * takes; otherwise the failure that reached deepest (the first of equals), which is the form
 * the caller meant.
 */
function unionFailure(failures: readonly Failure[], value: unknown): Failure {
  if (failures.every((failure) => failure.expected !== undefined && failure.path.length === 0)) {
    const expected = [...new Set(failures.flatMap((failure) => failure.expected!.split(" or ")))].join(" or ");
    return { path: [], message: `expected ${expected}, got ${typeOf(value)}`, expected };
  }
  return failures.reduce((best, next) => (next.path.length > best.path.length ? next : best));
}

/** Compiles `root` (with its own $defs) into one check. */
export function compileSchema<T>(root: JsonSchema): SchemaCheck<T> {
  const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
  const resolve = (schema: JsonSchema): JsonSchema => {
    if (typeof schema.$ref !== "string") return schema;
    const target = defs[schema.$ref.replace("#/$defs/", "")];
    if (!target) throw new Error(`schema-check cannot resolve ${schema.$ref}`);
    return resolve(target);
  };

  function compile(schema: JsonSchema): Check {
    const unknown = Object.keys(schema).filter((keyword) => !KEYWORDS.has(keyword));
    if (unknown.length > 0) throw new Error(`schema-check does not understand ${unknown.join(", ")}`);
    if (schema.$ref !== undefined) {
      // Compiled on first use, so a definition that refers to itself cannot loop here.
      const target = resolve(schema);
      let check: Check | undefined;
      return (value) => (check ??= compile(target))(value);
    }
    // Checked in this order, as Zod reports them: the type, then the value, then what it holds.
    const checks: Check[] = [];
    if (schema.type !== undefined) checks.push(typeCheck(schema.type as string | string[]));
    if ("const" in schema) checks.push((value) => (value === schema.const ? undefined : { path: [], message: `must be ${JSON.stringify(schema.const)}` }));
    if (Array.isArray(schema.enum)) {
      const values = schema.enum as unknown[];
      checks.push((value) => (values.includes(value) ? undefined : { path: [], message: `must be one of ${quoted(values)}` }));
    }
    if (typeof schema.minimum === "number") checks.push(bound(schema.minimum, "at least"));
    if (typeof schema.maximum === "number") checks.push(bound(schema.maximum, "at most"));
    if (typeof schema.minItems === "number") checks.push(minItems(schema.minItems));
    if (schema.items !== undefined) checks.push(itemsCheck(compile(schema.items as JsonSchema)));
    if (schema.properties !== undefined || schema.additionalProperties !== undefined || schema.propertyNames !== undefined) checks.push(objectCheck(schema));
    if (Array.isArray(schema.anyOf)) checks.push(anyOfCheck((schema.anyOf as JsonSchema[]).map(compile)));
    if (Array.isArray(schema.oneOf)) checks.push(oneOfCheck(schema.oneOf as JsonSchema[]));
    if (schema.not !== undefined) {
      const not = compile(schema.not as JsonSchema);
      checks.push((value) => (not(value) ? undefined : { path: [], message: "is not valid" }));
    }
    return checks.length === 1 ? checks[0]! : (value) => firstFailure(checks, value);
  }

  function objectCheck(schema: JsonSchema): Check {
    const properties = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).map(([key, property]) => [key, compile(property)] as const);
    const required = new Set((schema.required ?? []) as string[]);
    // Request contracts are loose objects and string-keyed records: what they allow beside their
    // fields is anything, under any name a JSON object can have. Anything stricter is not understood.
    const { additionalProperties: extra, propertyNames: names } = schema;
    if ((extra !== undefined && !isEmpty(extra)) || (names !== undefined && !(isRecord(names) && names.type === "string" && Object.keys(names).length === 1))) {
      throw new Error("schema-check understands only additionalProperties: {} and propertyNames: {type: string}");
    }
    return (value) => {
      if (!isRecord(value)) return undefined;
      for (const [key, check] of properties) {
        const field = Object.hasOwn(value, key) ? value[key] : undefined;
        const failure = field === undefined ? (required.has(key) ? { path: [key], message: "is required" } : undefined) : at(key, check(field));
        if (failure) return failure;
      }
      return undefined;
    };
  }

  /**
   * A Zod discriminated union: objects that each fix the same required field to a constant, so
   * that field picks the one form to check (and "exactly one" holds by construction). A oneOf
   * of any other kind is not understood.
   */
  function oneOfCheck(forms: readonly JsonSchema[]): Check {
    const resolved = forms.map(resolve);
    const constOf = (form: JsonSchema, key: string) => ((form.properties as Record<string, JsonSchema> | undefined)?.[key] ?? {}).const;
    const key = Object.keys((resolved[0]?.properties ?? {}) as object).find((candidate) =>
      resolved.every((form) => ((form.required ?? []) as string[]).includes(candidate) && constOf(form, candidate) !== undefined),
    );
    if (key === undefined) throw new Error("schema-check understands only a oneOf of objects told apart by a constant field");
    const byValue = new Map(resolved.map((form) => [constOf(form, key), compile(form)]));
    const values = [...byValue.keys()];
    return (value) => {
      if (!isRecord(value)) return { path: [], message: `expected object, got ${typeOf(value)}`, expected: "object" };
      const check = byValue.get(value[key]);
      return check ? check(value) : { path: [key], message: `must be one of ${quoted(values)}` };
    };
  }

  return compile(root);
}

function firstFailure(checks: readonly Check[], value: unknown): Failure | undefined {
  for (const check of checks) {
    const failure = check(value);
    if (failure) return failure;
  }
  return undefined;
}

function typeCheck(type: string | readonly string[]): Check {
  const types = typeof type === "string" ? [type] : type;
  const expected = types.join(" or ");
  return (value) => (types.some((one) => hasType(value, one)) ? undefined : { path: [], message: `expected ${expected}, got ${typeOf(value)}`, expected });
}

function anyOfCheck(checks: readonly Check[]): Check {
  return (value) => {
    const failures: Failure[] = [];
    for (const check of checks) {
      const failure = check(value);
      if (!failure) return undefined;
      failures.push(failure);
    }
    return unionFailure(failures, value);
  };
}

function itemsCheck(check: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return undefined;
    for (let i = 0; i < value.length; i++) {
      const failure = at(i, check(value[i]));
      if (failure) return failure;
    }
    return undefined;
  };
}

const bound = (limit: number, kind: "at least" | "at most"): Check => (value) =>
  typeof value !== "number" || (kind === "at least" ? value >= limit : value <= limit) ? undefined : { path: [], message: `must be ${kind} ${limit}` };

const minItems = (limit: number): Check => (value) =>
  !Array.isArray(value) || value.length >= limit ? undefined : { path: [], message: `must have at least ${limit} item(s)` };
