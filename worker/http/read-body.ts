import { ApiError } from "./api-error.ts";

const requestTooLarge = (maxBytes: number) => new ApiError("payload_too_large", `The request body is larger than ${maxBytes} bytes.`);

/**
 * Reads a whole body (a caller's request, or an upstream's answer), refusing it as soon as it
 * passes maxBytes: a declared Content-Length is checked before reading, a chunked body while
 * it arrives. `tooLarge` names the failure; by default the caller's request is too large.
 * An upstream's answer is cancelled there; a request's rest is left unread for drainBody, so
 * its client receives the refusal rather than a reset while it is still sending.
 */
export async function readBody(message: Request | Response, maxBytes: number, tooLarge = requestTooLarge): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(message.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!message.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = message.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      if (message instanceof Request) reader.releaseLock();
      else await reader.cancel();
      throw tooLarge(maxBytes);
    }
    parts.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}

/** The media type without parameters, lower-cased; "" when there is no Content-Type. */
export const mediaTypeOf = (request: Request) => (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
