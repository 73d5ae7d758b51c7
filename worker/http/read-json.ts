import type { Config } from "../config.ts";
import { ApiError } from "./api-error.ts";
import { nestingDepthExceeds } from "./nesting-depth-exceeds.ts";
import { mediaTypeOf, readBody } from "./read-body.ts";

// fatal: invalid UTF-8 is refused rather than silently turned into U+FFFD.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The body as text. Its bytes die with this call, so they are not held while the text is parsed. */
async function readText(request: Request, maxBodyBytes: number, timeoutMs: number): Promise<string> {
  const bytes = await readBody(request, maxBodyBytes, { timeoutMs });
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ApiError("invalid_json", "The request body is not valid UTF-8.");
  }
}

/**
 * Reads a JSON body. A missing Content-Type is tolerated; any other non-JSON type is refused.
 * Nesting is checked on the text first, so a hostile body never reaches the parser or the
 * validators, which both recurse.
 */
export async function readJson(request: Request, limits: Pick<Config["limits"], "maxBodyBytes" | "maxJsonDepth" | "bodyTimeoutMs">): Promise<unknown> {
  const { maxBodyBytes, maxJsonDepth: maxDepth, bodyTimeoutMs } = limits;
  const type = mediaTypeOf(request);
  if (type !== "" && type !== "application/json" && !type.endsWith("+json")) {
    throw new ApiError("unsupported_media_type", `Content-Type must be application/json, not ${type}.`);
  }
  const text = await readText(request, maxBodyBytes, bodyTimeoutMs);
  if (text.trim() === "") throw new ApiError("invalid_json", "The request body is empty; a JSON object is required.");
  if (nestingDepthExceeds(text, maxDepth)) {
    throw new ApiError("nesting_too_deep", `The request body nests arrays and objects deeper than ${maxDepth} levels (MAX_JSON_DEPTH).`);
  }
  try {
    return JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the body, and error messages never hold request content.
    throw new ApiError("invalid_json", "The request body is not valid JSON.");
  }
}
