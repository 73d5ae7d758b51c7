import { createParser } from "eventsource-parser";
import { ApiError } from "../http/api-error.ts";
import type { Delta } from "../providers/provider.ts";

/** Turns one event's data into deltas, appended to the batch of the read it arrived in. */
export type EventReader = (data: string, batch: Delta[]) => void;

/** Both OpenAI-compatible servers and Workers AI end a complete stream with this data line. */
const END_MARKER = "[DONE]";

const truncated = () =>
  new ApiError("upstream_error", "The model's stream ended before the reply was complete.", { detail: "upstream stream closed without [DONE] or finish_reason" });

/**
 * A connection that broke while being read. Before anything was received it is a connection
 * failure like any other (retried once); after, the reply is incomplete.
 */
const broken = (error: unknown, yielded: boolean) => {
  if (error instanceof ApiError) return error;
  const detail = `upstream read failed: ${error instanceof Error ? error.message : String(error)}`;
  return yielded
    ? new ApiError("upstream_error", "The connection to the model server broke mid-reply.", { detail })
    : new ApiError("upstream_unavailable", "The connection to the model server broke.", { detail });
};

/**
 * Calls a model with `open` and reads the server-sent event stream it resolves to, yielding
 * one batch of deltas per network read, so the caller can write each batch in one write: no
 * intermediate stream stages and no re-splitting. One TextDecoder (in stream mode, so a
 * character split across reads is joined) and one eventsource-parser (comments, CRLF, split
 * lines) serve the whole stream. Opening the stream here, on the first read, lets a provider
 * be this generator itself rather than a generator delegating to it, which would cost every
 * batch another round of promises.
 *
 * A stream counts as complete at [DONE] or, for servers that omit it, at end of stream after
 * a finish_reason; anything else that ends is truncation and an error, never a success.
 */
export async function* upstreamEvents(open: () => Promise<ReadableStream<Uint8Array>>, readEvent: EventReader, maxEventBytes: number): AsyncGenerator<readonly Delta[]> {
  const reader = (await open()).getReader();
  const decoder = new TextDecoder();
  let batch: Delta[] = [];
  let ended = false;
  let oversized = false;
  const parser = createParser({
    // eventsource-parser buffers an unfinished event; this bounds that buffer and so memory.
    maxBufferSize: maxEventBytes,
    onEvent(event) {
      if (ended || oversized) return;
      // An event that arrived whole in one read was never buffered, so it is measured here.
      if (event.data.length > maxEventBytes) oversized = true;
      else if (event.data === END_MARKER) ended = true;
      else readEvent(event.data, batch);
    },
    onError(error) {
      if (error.type === "max-buffer-size-exceeded") oversized = true;
    },
  });
  let finished = false;
  let yielded = false;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw broken(error, yielded);
      }
      const { done, value } = next;
      if (done) {
        // A last event without its blank line is still an event (some servers end that way).
        parser.feed(decoder.decode());
        parser.reset({ consume: true });
      } else {
        parser.feed(decoder.decode(value, { stream: true }));
      }
      if (oversized) throw new ApiError("upstream_error", "The model sent an event larger than this worker accepts.", { detail: `event over MAX_EVENT_BYTES (${maxEventBytes})` });
      if (batch.length > 0) {
        for (const delta of batch) if (delta.kind === "finish") finished = true;
        const out = batch;
        batch = [];
        yielded = true;
        yield out;
      }
      if (ended) return;
      if (done) {
        if (finished) return;
        throw truncated();
      }
    }
  } finally {
    // Releases the upstream connection whether the stream completed, failed or was abandoned.
    reader.cancel().catch(() => undefined);
  }
}
