import { ApiError } from "../http/api-error.ts";

/**
 * Bounds how much an upstream SSE stream may send without completing an event, so a broken
 * or hostile upstream cannot make the parser buffer without end (eventsource-parser keeps an
 * incomplete line in memory until its end arrives). Provider stream parsing uses it as:
 *
 *   const guard = upstreamEventGuard(config.limits.maxUpstreamEventBytes);
 *   const parser = createParser({ onEvent: (event) => { guard.eventCompleted(); ... } });
 *   for each upstream chunk: parser.feed(text); guard.received(chunk.byteLength);  // throws when over
 *
 * A chunk that completes an event resets the count, including the start of the next event
 * that may follow in the same chunk, so the bound is the limit plus one upstream read.
 */
export function upstreamEventGuard(maxBytes: number) {
  let pending = 0;
  let completed = false;
  return {
    /** Call from the parser's onEvent. */
    eventCompleted() {
      completed = true;
    },
    /** Call after feeding a chunk of `bytes` to the parser; throws upstream_error when the open event is over the limit. */
    received(bytes: number) {
      pending = completed ? 0 : pending + bytes;
      completed = false;
      if (pending > maxBytes) {
        throw new ApiError("upstream_error", "The model's upstream sent a malformed stream.", {
          detail: `upstream sent ${pending} bytes without completing an event (MAX_UPSTREAM_EVENT_BYTES=${maxBytes})`,
        });
      }
    },
  };
}
