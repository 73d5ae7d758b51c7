import { ApiError } from "./api-error.ts";
import { nestingDepthExceeds } from "./nesting-depth-exceeds.ts";
import { LiteralSyntaxError, parsePythonLiteral } from "./parse-python-literal.ts";

/**
 * Decodes a Spec 2 form field that holds structured data: JSON, or the Python-literal form
 * IMS's own documentation shows (single quotes, True/None). JSON is tried first as the
 * common case; the literal parser only builds data and never evaluates anything.
 */
export function decodeField(text: string, field: string, maxDepth: number): unknown {
  if (nestingDepthExceeds(text, maxDepth)) {
    throw new ApiError("nesting_too_deep", `${field} nests lists and objects deeper than ${maxDepth} levels (MAX_JSON_DEPTH).`, { param: field });
  }
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parsePythonLiteral(text, maxDepth);
    } catch (error) {
      const where = error instanceof LiteralSyntaxError ? ` (${error.message})` : "";
      throw new ApiError("invalid_request", `${field} is neither JSON nor a Python-style literal${where}.`, { param: field });
    }
  }
}
