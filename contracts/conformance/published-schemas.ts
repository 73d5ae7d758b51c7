import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { schemas } from "../json-schema/index.ts";

/**
 * Validators compiled from the committed JSON Schema files, not from the Zod source: what
 * partners receive is what the checks hold every response to. The files are imported as JSON
 * modules, so the bundled `ims-llm-verify` carries them and reads nothing from disk.
 */
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: "x-version", schemaType: "string" });

const compiled = new Map<string, ValidateFunction>();

function publishedSchema(name: string): object {
  const schema = schemas[name];
  if (!schema) throw new Error(`no published schema named ${name}`);
  return schema;
}

/**
 * The same schema without `additionalProperties: false`: a partner whose chunks carry extra
 * fields (system_fingerprint, logprobs, ...) still works with IMS, so that is a warning, not
 * a failure.
 */
function lenient(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(lenient);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "additionalProperties" && value === false) continue;
    out[key] = key === "$id" ? `${String(value)}:lenient` : lenient(value);
  }
  return out;
}

export type Strictness = "strict" | "lenient";

export function validatorFor(name: string, strictness: Strictness = "strict"): ValidateFunction {
  const key = `${name}/${strictness}`;
  let validate = compiled.get(key);
  if (!validate) {
    const schema = publishedSchema(name);
    compiled.set(key, (validate = ajv.compile((strictness === "strict" ? schema : lenient(schema)) as object)));
  }
  return validate;
}

/** null when `value` is valid, else the first violation as "<path> <message>". */
export function schemaViolation(name: string, value: unknown, strictness: Strictness = "strict"): string | null {
  const validate = validatorFor(name, strictness);
  if (validate(value)) return null;
  const error = validate.errors?.[0];
  return error ? `${error.instancePath || "(root)"} ${error.message ?? "is invalid"}` : "is invalid";
}
