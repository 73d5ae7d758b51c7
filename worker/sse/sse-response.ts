import { asApiError } from "../http/api-error.ts";
import type { StartedReply } from "../reply/start-reply.ts";
import type { ChunkFramer } from "./chunk-framer.ts";

const encoder = new TextEncoder();
/** Room for a batch of a few events; a larger batch grows the buffer. */
const BUFFER_BYTES = 4096;

// Built once per isolate: a Response copies a Headers natively, where a plain object's entries
// are converted and checked one by one on every request (bench/native-calls.ts: 5.5 against 9 µs).
const SSE_HEADERS = new Headers({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // identity: a compressing proxy would hold events back until its buffer fills.
  "content-encoding": "identity",
  "x-accel-buffering": "no",
});

/**
 * Writes the reply into the response, one write per batch (that is, per upstream read), each
 * awaited so a slow caller holds the model back instead of filling memory. Ends with [DONE]
 * only when the model finished; a failure mid-reply ends with an error event instead.
 */
async function writeReply(reply: StartedReply, framer: ChunkFramer, writer: WritableStreamDefaultWriter<ArrayBufferView>) {
  let callerGone = false;
  // Each batch is encoded into one buffer per reply rather than a new one per batch (half the
  // cost of TextEncoder.encode in workerd): every write is awaited before the next batch is
  // encoded, and the runtime has copied the bytes by then.
  let buffer = new Uint8Array(BUFFER_BYTES);
  const encode = (text: string) => {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (buffer.length < text.length * 3) buffer = new Uint8Array(text.length * 3);
    return buffer.subarray(0, encoder.encodeInto(text, buffer).written);
  };
  // A caller that hangs up (IMS barge-in) errors the stream at once: the model is stopped
  // then, not when its next token would have been written.
  writer.closed.catch((reason: unknown) => {
    callerGone = true;
    reply.stop(reason);
  });
  // Events framed and not yet written.
  let events = "";
  try {
    events = framer.frame(reply.first);
    for (;;) {
      // Once the model has sent everything, what is left goes out with the reply's end in one
      // write: each write costs the runtime a wake-up of the isolate of its own.
      if (events && !reply.rest.exhausted) {
        await writer.write(encode(events));
        events = "";
      }
      const next = await reply.rest.next();
      if (next.done) break;
      events += framer.frame(next.value);
    }
    await writer.write(encode(events + framer.end()));
    await writer.close();
  } catch (error) {
    if (callerGone) return;
    reply.stop(error);
    await writer
      .write(encode(events + framer.fail(asApiError(error))))
      .then(() => writer.close())
      .catch(() => undefined);
  }
}

/**
 * The Spec 1 streaming response. Its body is an IdentityTransformStream, which the runtime
 * sends natively: JavaScript runs once per upstream read (to check and re-frame the batch)
 * and never to move bytes. The bench measured this at a lower CPU cost per request than a
 * pull-based ReadableStream (bench/experiments/stream-variants.ts).
 */
export function sseResponse(reply: StartedReply, framer: ChunkFramer): Response {
  const { readable, writable } = new IdentityTransformStream();
  void writeReply(reply, framer, writable.getWriter());
  // The router stamps x-request-id on every answer, this one included.
  return new Response(readable, { status: 200, headers: SSE_HEADERS });
}
