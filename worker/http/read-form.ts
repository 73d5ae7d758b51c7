import type { Config } from "../config.ts";
import { ApiError } from "./api-error.ts";
import { mediaTypeOf, readBody } from "./read-body.ts";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Reads form fields the way the seed's aiohttp sample does with request.post():
 * application/x-www-form-urlencoded, multipart/form-data, or no Content-Type (read as
 * urlencoded). A field sent twice keeps its first value; a file where a text field belongs
 * is refused.
 */
export async function readForm(request: Request, limits: Pick<Config["limits"], "maxBodyBytes" | "maxFormFields" | "maxFieldChars">): Promise<Record<string, string>> {
  const type = mediaTypeOf(request);
  if (type !== "" && type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
    throw new ApiError(
      "unsupported_media_type",
      `Content-Type must be application/x-www-form-urlencoded or multipart/form-data, not ${type}.`,
    );
  }
  const bytes = await readBody(request, limits.maxBodyBytes);
  const fields: Record<string, string> = {};
  let count = 0;
  // Every field counts, repeated names too: the limit bounds the parsing work, not the result.
  const add = (name: string, value: string) => {
    if (++count > limits.maxFormFields) {
      throw new ApiError("limit_exceeded", `The form has more than ${limits.maxFormFields} fields (MAX_FORM_FIELDS).`);
    }
    if (value.length > limits.maxFieldChars) {
      throw new ApiError("limit_exceeded", `${name} has ${value.length} characters; at most ${limits.maxFieldChars} are accepted (MAX_FIELD_CHARS).`, {
        param: name,
      });
    }
    fields[name] ??= value;
  };
  if (type === "multipart/form-data") {
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { "content-type": request.headers.get("content-type")! } }).formData();
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
  for (const [name, value] of new URLSearchParams(text)) add(name, value);
  return fields;
}
