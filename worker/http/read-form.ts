import type { Config } from "../config.ts";
import { ApiError } from "./api-error.ts";
import { mediaTypeOf, readBody } from "./read-body.ts";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** Only used to find ASCII delimiters: a replaced invalid byte never hides one. */
const lenientDecoder = new TextDecoder();

const tooManyFields = (max: number) => new ApiError("limit_exceeded", `The form has more than ${max} fields (MAX_FORM_FIELDS).`);

/** Whether `separator` occurs more than `max` times: native searches, at most max + 1 of them. */
function occursMoreThan(text: string, separator: string, max: number): boolean {
  for (let at = text.indexOf(separator), seen = 0; at !== -1; at = text.indexOf(separator, at + separator.length)) if (++seen > max) return true;
  return false;
}

/**
 * Reads form fields the way the seed's aiohttp sample does with request.post():
 * application/x-www-form-urlencoded, multipart/form-data, or no Content-Type (read as
 * urlencoded). A field sent twice keeps its first value; a file where a text field belongs
 * is refused. Fields are counted on the raw text before any parsing, so the cost of a body of
 * many tiny parts is bounded by MAX_FORM_FIELDS, not by its size, even before the Token in it
 * is checked.
 */
export async function readForm(request: Request, limits: Pick<Config["limits"], "maxBodyBytes" | "maxFormFields" | "maxFieldChars" | "bodyTimeoutMs">): Promise<Record<string, string>> {
  const type = mediaTypeOf(request);
  if (type !== "" && type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
    throw new ApiError(
      "unsupported_media_type",
      `Content-Type must be application/x-www-form-urlencoded or multipart/form-data, not ${type}.`,
    );
  }
  const bytes = await readBody(request, limits.maxBodyBytes, { timeoutMs: limits.bodyTimeoutMs });
  const fields: Record<string, string> = {};
  let count = 0;
  // Every field counts, repeated names too: the limit bounds the parsing work, not the result.
  const add = (name: string, value: string) => {
    if (++count > limits.maxFormFields) throw tooManyFields(limits.maxFormFields);
    if (value.length > limits.maxFieldChars) {
      throw new ApiError("limit_exceeded", `${name} has ${value.length} characters; at most ${limits.maxFieldChars} are accepted (MAX_FIELD_CHARS).`, {
        param: name,
      });
    }
    fields[name] ??= value;
  };
  if (type === "multipart/form-data") {
    const contentType = request.headers.get("content-type")!;
    const boundary = /;\s*boundary="?([^";]+)/i.exec(contentType)?.[1];
    // n fields take n + 1 delimiters (the last closes the body); the boundary may not occur in content.
    // Without a boundary the parser below refuses the body at once.
    if (boundary && occursMoreThan(lenientDecoder.decode(bytes), `--${boundary}`, limits.maxFormFields + 1)) throw tooManyFields(limits.maxFormFields);
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
    } catch {
      throw new ApiError("invalid_form", "The multipart body could not be parsed (check the boundary and part headers).");
    }
    for (const [name, value] of form) {
      if (typeof value !== "string") throw new ApiError("invalid_form", `Field ${name} must be text, not a file.`, { param: name });
      add(name, value);
    }
    return fields;
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new ApiError("invalid_form", "The form body is not valid UTF-8.");
  }
  // Empty pieces ("&&&") yield no field but still cost the parser: they count too.
  if (occursMoreThan(text, "&", limits.maxFormFields - 1)) throw tooManyFields(limits.maxFormFields);
  for (const [name, value] of new URLSearchParams(text)) add(name, value);
  return fields;
}
