import { isRecord } from "../is-record.ts";

/**
 * Checks values against the JSON Schema the Zod contracts publish, compiled once into closures.
 * The worker validates with the published document rather than with Zod's runtime: the rules
 * partners' validators apply, at a fraction of the bundle, and nothing is copied (a checked
 * value is returned as it came). Only the keywords the contracts produce are understood:
 * `npm run schemas` refuses to write a request schema that notUnderstood() finds fault with,
 * so compiling trusts what it is given, and a contract that starts using another keyword
 * cannot go unchecked.
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

const refName = (ref: string) => ref.replace("#/$defs/", "");

const constOf = (form: JsonSchema, key: string) => ((form.properties as Record<string, JsonSchema> | undefined)?.[key] ?? {}).const;

/**
 * The field that tells a oneOf's forms apart, when each is an object that requires it and fixes
 * it to a constant (a Zod discriminated union): then exactly one form can match, by construction.
 */
const discriminator = (forms: readonly JsonSchema[]) =>
  Object.keys((forms[0]?.properties ?? {}) as object).find((key) => forms.every((form) => ((form.required ?? []) as string[]).includes(key) && constOf(form, key) !== undefined));

/** Compiles `root` (with its own $defs), which notUnderstood() finds no fault with, into one check. */
export function compileSchema<T>(root: JsonSchema): SchemaCheck<T> {
  const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
  const resolve = (schema: JsonSchema): JsonSchema => (typeof schema.$ref === "string" ? resolve(defs[refName(schema.$ref)]!) : schema);

  function compile(schema: JsonSchema): Check {
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
    if (schema.properties !== undefined) checks.push(objectCheck(schema));
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
    // additionalProperties and propertyNames are {} and {type: string} (notUnderstood sees to
    // it): anything under any name a JSON object can have, so only the named fields are checked.
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

  /** A Zod discriminated union: the field each form fixes to a constant picks the one form to check. */
  function oneOfCheck(forms: readonly JsonSchema[]): Check {
    const resolved = forms.map(resolve);
    const key = discriminator(resolved)!;
    const byValue = new Map(resolved.map((form) => [constOf(form, key), compile(form)]));
    const values = [...byValue.keys()];
    return (value) => {
      if (!isRecord(value)) return { path: [], message: `expected object, got ${typeOf(value)}`, expected: "object" };
      const picked = value[key];
      const check = byValue.get(picked);
      if (check) return check(value);
      // Said as precisely as a single field's check would: missing, of the wrong type, or not one of the values.
      if (picked === undefined) return { path: [key], message: "is required" };
      if (!values.some((one) => typeOf(one) === typeOf(picked))) return { path: [key], message: `expected ${typeOf(values[0])}, got ${typeOf(picked)}` };
      return { path: [key], message: `must be one of ${quoted(values)}` };
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

/** The keywords compileSchema checks. */
const KEYWORDS = new Set(["type", "const", "enum", "not", "anyOf", "oneOf", "$ref", "$defs", "items", "minItems", "minimum", "maximum", "properties", "required", "additionalProperties", "propertyNames"]);

const isEmpty = (schema: unknown) => isRecord(schema) && Object.keys(schema).length === 0;

/**
 * What compileSchema would not check as `root` says, one phrase each: keywords it does not know,
 * references that do not resolve, and the forms of known keywords it does not handle. The
 * request contracts are loose objects and string-keyed records, so additionalProperties may
 * only be {} and propertyNames only {type: string}; a oneOf must be a discriminated union.
 */
export function notUnderstood(root: JsonSchema): string[] {
  const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
  const problems: string[] = [];
  const resolved = (schema: JsonSchema) => (typeof schema.$ref === "string" ? (defs[refName(schema.$ref)] ?? {}) : schema);
  const visit = (schema: unknown, where: string): void => {
    if (!isRecord(schema)) return void problems.push(`${where} is not a schema`);
    for (const keyword of Object.keys(schema)) if (!KEYWORDS.has(keyword)) problems.push(`${where}: keyword ${keyword}`);
    if (typeof schema.$ref === "string" && !(refName(schema.$ref) in defs)) problems.push(`${where}: $ref ${schema.$ref} does not resolve`);
    const { additionalProperties: extra, propertyNames: names } = schema;
    if (extra !== undefined && !isEmpty(extra)) problems.push(`${where}: additionalProperties other than {}`);
    if (names !== undefined && !(isRecord(names) && names.type === "string" && Object.keys(names).length === 1)) problems.push(`${where}: propertyNames other than {type: string}`);
    const fields = Object.keys((schema.properties ?? {}) as object);
    for (const name of (schema.required ?? []) as string[]) if (!fields.includes(name)) problems.push(`${where}: required field ${name} has no properties entry`);
    if (Array.isArray(schema.oneOf) && discriminator((schema.oneOf as JsonSchema[]).map(resolved)) === undefined) problems.push(`${where}: a oneOf no constant field tells apart`);
    for (const [name, sub] of Object.entries((schema.properties ?? {}) as object)) visit(sub, `${where}/properties/${name}`);
    for (const keyword of ["items", "not"]) if (schema[keyword] !== undefined) visit(schema[keyword], `${where}/${keyword}`);
    for (const keyword of ["anyOf", "oneOf"]) if (Array.isArray(schema[keyword])) (schema[keyword] as unknown[]).forEach((sub, i) => visit(sub, `${where}/${keyword}/${i}`));
  };
  visit(root, "#");
  for (const [name, def] of Object.entries(defs)) visit(def, `#/$defs/${name}`);
  return problems;
}
