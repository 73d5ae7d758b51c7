import { ApiError } from "./api-error.ts";

/**
 * Bytes per read of a body of unknown length: a default reader hands workerd's body over 4 KiB
 * at a time, a round trip into JavaScript each (14-20 ms of CPU to refuse 2 MiB, against 3-4 ms this way).
 */
const READ_BYTES = 64 * 1024;

const requestTooLarge = (maxBytes: number) => new ApiError("payload_too_large", `The request body is larger than ${maxBytes} bytes.`);

// The caller's fault, whatever the runtime says (bad chunked framing, a connection lost mid-upload):
// no one is left to answer when it went away, and the log line must not read as the worker's failure.
const requestBroken = () => new ApiError("incomplete_body", "The request body ended before it was complete.");

const bodyTimeout = (timeoutMs: number | undefined) => new ApiError("body_timeout", `The request body did not arrive within ${timeoutMs} ms (BODY_TIMEOUT_MS).`);

export interface BodyRules {
  /** Names the failure of a body over maxBytes; by default the caller's request is too large. */
  tooLarge?: (maxBytes: number) => ApiError;
  /** Names the failure of a body whose stream broke; by default the caller's upload did. */
  broken?: (error: unknown) => ApiError;
  /** How long the whole body may take to arrive (BODY_TIMEOUT_MS); without it, no deadline. */
  timeoutMs?: number;
}

/**
 * Reads a whole body (a caller's request, or an upstream's answer), refusing it as soon as it
 * passes maxBytes: a declared Content-Length is checked before reading, a chunked body while
 * it arrives. An upstream's answer is cancelled there; a request's rest is left unread for
 * drainBody, so its client receives the refusal rather than a reset while it is still sending.
 * Past the deadline the stream is cancelled, so a body sent a byte at a time holds no
 * connection open longer than timeoutMs. A request's declared body is read by the runtime
 * (readDeclared); what comes here is read through a BYOB reader.
 */
export async function readBody(message: Request | Response, maxBytes: number, rules: BodyRules = {}): Promise<Uint8Array<ArrayBuffer>> {
  const { tooLarge = requestTooLarge, broken = requestBroken, timeoutMs } = rules;
  const declared = Number(message.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (declared > 0 && message instanceof Request) return readDeclared(message, broken, timeoutMs);
  if (!message.body) return new Uint8Array(0);
  // The runtime writes into buffers given to it: a declared answer lands whole in one of its size,
  // with no pieces to join (one copy of the body, not two); a chunked one in full READ_BYTES
  // pieces. A body longer than declared (a decoded answer) goes on in pieces, counted the same.
  const full: Uint8Array<ArrayBuffer>[] = [];
  // The runtime has parsed Content-Length to frame the body: a whole number of bytes, or none.
  let part = new Uint8Array(declared || READ_BYTES);
  let filled = 0;
  let size = 0;
  const reader = message.body.getReader({ mode: "byob" });
  let late = false;
  // One timer for the whole body, not a race per read: cancelling ends the pending read.
  const deadline = timeoutMs === undefined ? undefined : setTimeout(() => ((late = true), void reader.cancel().catch(() => {})), timeoutMs);
  try {
    for (;;) {
      if (filled === part.byteLength) {
        full.push(part);
        // A declared body is whole by now, and the read that says so needs only a byte of room
        // (a full READ_BYTES buffer per request to learn that the body ended is garbage): a body
        // longer than declared goes on in READ_BYTES pieces after that byte.
        part = new Uint8Array(declared && full.length === 1 ? 1 : READ_BYTES);
        filled = 0;
      }
      const { done, value } = await reader.read(part.subarray(filled));
      // Each read hands the buffer over and back: the one given is detached, the end included.
      if (value) part = new Uint8Array(value.buffer as ArrayBuffer);
      if (done || late) break;
      filled += value.byteLength;
      size += value.byteLength;
      if (size > maxBytes) {
        if (message instanceof Request) reader.releaseLock();
        else await reader.cancel();
        throw tooLarge(maxBytes);
      }
    }
  } catch (error) {
    if (!late) throw error instanceof ApiError ? error : broken(error);
  } finally {
    if (deadline !== undefined) clearTimeout(deadline);
  }
  // A cancelled read may end or fail, depending on the runtime: the deadline is the reason either way.
  if (late) throw bodyTimeout(timeoutMs);
  if (filled) full.push(part.subarray(0, filled));
  if (full.length === 1) return full[0]!;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const piece of full) {
    body.set(piece, offset);
    offset += piece.byteLength;
  }
  return body;
}

/**
 * A request's declared body, read by the runtime in one piece: workerd frames it by its
 * Content-Length (already checked against the limit), so it cannot grow past it, and no stream
 * reader is made in JavaScript (taking the BYOB reader out read 0.83-0.89 of a Spec 1 request's
 * CPU in bench/request-calls.ts, at load 2). A body that misses the deadline is answered at
 * once; the runtime stops reading it when the answer is sent.
 */
async function readDeclared(request: Request, broken: (error: unknown) => ApiError, timeoutMs: number | undefined): Promise<Uint8Array<ArrayBuffer>> {
  const read = request.arrayBuffer();
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const late = timeoutMs === undefined ? undefined : new Promise<never>((_, reject) => (deadline = setTimeout(() => reject(bodyTimeout(timeoutMs)), timeoutMs)));
  try {
    return new Uint8Array(await (late ? Promise.race([read, late]) : read));
  } catch (error) {
    throw error instanceof ApiError ? error : broken(error);
  } finally {
    if (deadline !== undefined) clearTimeout(deadline);
  }
}

/** The media type without parameters, lower-cased; "" when there is no Content-Type. */
export const mediaTypeOf = (request: Request) => (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
