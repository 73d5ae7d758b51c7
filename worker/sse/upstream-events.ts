import { createParser, type EventSourceParser } from "eventsource-parser";
import { ApiError, messageOf } from "../http/api-error.ts";
import type { Delta } from "../providers/provider.ts";
import { reportedError } from "../providers/reported-error.ts";

/** Reads one stream's events: each event's data into deltas, appended to the batch of the read it arrived in. */
export interface EventReader {
  read(data: string, batch: Delta[]): void;
  /** At [DONE]: hands out what the reader held back, waiting to see what came next. */
  end?(batch: Delta[]): void;
}

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
  const detail = `upstream read failed: ${messageOf(error)}`;
  return yielded
    ? new ApiError("upstream_error", "The connection to the model server broke mid-reply.", { detail })
    : new ApiError("upstream_unavailable", "The connection to the model server broke.", { detail });
};

type Batch = readonly Delta[];
const NOTHING: Batch = [];

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
/** The decoding options of a read that leaves a character open, made once rather than per read. */
const STREAMING = { stream: true };
/**
 * Decodes a read that ends on a whole character, which is nearly every read (an event ends in
 * a newline): each call stands alone, so one decoder serves every stream. A BOM is left in the
 * text, as in each stream's own decoder, for eventsource-parser to drop at the stream's start.
 */
const wholeReads = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** The data of an `event: error` (a JSON error object or plain text) as the reply's failure. */
function errorEvent(data: string): ApiError {
  let body: unknown = data;
  try {
    body = JSON.parse(data);
  } catch {
    // Plain text names no code; it is not repeated, as it may quote the conversation.
  }
  return reportedError(body, "event: error");
}

/** Whether a first batch holds more than usage: a usage-only chunk is not the reply starting. */
const startsReply = (batch: Batch) => batch.some((delta) => delta.kind !== "usage");

/**
 * Calls a model with `open` and reads the server-sent event stream it resolves to, one batch
 * of deltas per network read, so the caller can write each batch in one write: no
 * intermediate stream stages and no re-splitting. A decoder in stream mode joins a character
 * split across reads (made only for a stream that splits one), and one eventsource-parser
 * (comments, CRLF, split lines) serves the whole stream. It is an iterator written out rather than an async generator,
 * and a provider returns it as it is: each batch then costs one awaited read and one resolved
 * promise, not a generator's extra round of promises per layer.
 *
 * A stream counts as complete at [DONE] or, for servers that omit it, at end of stream after
 * a finish_reason; anything else that ends is truncation and an error, never a success. An
 * error the upstream reports (`event: error`, or whatever the reader throws) ends it as a
 * failure, after the text that came before it in the same read is handed out.
 */
export class UpstreamEvents implements AsyncIterableIterator<Batch> {
  readonly #open: () => Promise<ReadableStream<Uint8Array>>;
  readonly #maxEventBytes: number;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Made for a stream whose read ends inside a character, to join it to the next read. */
  #decoder: TextDecoder | undefined;
  /** The last read ended inside a character. */
  #split = false;
  readonly #parser: EventSourceParser;
  #batch: Delta[] = [];
  /** [DONE] was read. */
  #ended = false;
  #oversized = false;
  /** A finish_reason was read, so an end of stream without [DONE] is still complete. */
  #finished = false;
  /** A batch was handed out: a broken connection now breaks a reply, not a call. */
  #yielded = false;
  #closed = false;
  /** The stream ended whole ([DONE], or its end after a finish_reason) and its last batch is out. */
  #whole = false;
  /** Why the reply failed: the upstream reported an error, or the stream was cut off. */
  #failure: ApiError | undefined;
  /** Where the read in progress answers (see pull). */
  #resolveRead!: (result: IteratorResult<Batch>) => void;
  #rejectRead!: (error: unknown) => void;

  constructor(open: () => Promise<ReadableStream<Uint8Array>>, readEvent: EventReader, maxEventBytes: number) {
    this.#open = open;
    this.#maxEventBytes = maxEventBytes;
    this.#parser = createParser({
      // eventsource-parser buffers an unfinished event; this bounds that buffer and so memory.
      maxBufferSize: maxEventBytes,
      onEvent: (event) => {
        if (this.#ended || this.#oversized || this.#failure) return;
        // An event that arrived whole in one read was never buffered, so it is measured here.
        if (event.data.length > maxEventBytes) this.#oversized = true;
        else if (event.event === "error") this.#failure = errorEvent(event.data);
        else if (event.data === END_MARKER) {
          this.#ended = true;
          readEvent.end?.(this.#batch);
        } else {
          try {
            readEvent.read(event.data, this.#batch);
          } catch (error) {
            this.#failure = error instanceof ApiError ? error : broken(error, true);
          }
        }
      },
      onError: (error) => {
        if (error.type === "max-buffer-size-exceeded") this.#oversized = true;
      },
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Batch>> {
    return new Promise((resolve, reject) => this.pull(resolve, reject));
  }

  /**
   * Reads on until a read yields a batch or the stream ends, and hands the outcome to
   * `resolve` or `reject` rather than to a promise of its own: the reply guard, which holds a
   * promise per read already, then pays one resolved promise per upstream read end to end.
   */
  pull(resolve: (result: IteratorResult<Batch>) => void, reject: (error: unknown) => void): void {
    this.#resolveRead = resolve;
    this.#rejectRead = reject;
    // A stream that failed after its last text was handed out fails on the read after it.
    if (this.#closed) {
      if (this.#failure) reject(this.#failure);
      else resolve(DONE);
    } else if (this.#reader) this.#read();
    else {
      this.#open()
        .then((body) => {
          this.#reader = body.getReader();
          this.#read();
        })
        .catch(this.#failed);
    }
  }

  #read() {
    this.#reader!.read().then(this.#parsed, this.#broke);
  }

  // Bound once per stream, so a read allocates no closure.
  readonly #parsed = (read: ReadableStreamReadResult<Uint8Array>) => {
    let out: IteratorResult<Batch> | undefined;
    try {
      out = this.#take(read);
    } catch (error) {
      return this.#failed(error);
    }
    if (out) this.#resolveRead(out);
    else this.#read();
  };

  readonly #broke = (error: unknown) => this.#failed(broken(error, this.#yielded));

  readonly #failed = (error: unknown) => {
    this.#close();
    this.#rejectRead(error);
  };

  /** Whether the stream ended whole and every batch was handed out: the next read answers done. */
  get drained(): boolean {
    return this.#whole;
  }

  /** Stops reading: the upstream connection is released. */
  async return(): Promise<IteratorResult<Batch>> {
    this.#close();
    return DONE;
  }

  /** Parses one read; what next() answers with, or undefined to read on. */
  #take({ done, value }: ReadableStreamReadResult<Uint8Array>): IteratorResult<Batch> | undefined {
    // A last event without its blank line is still an event (some servers end that way), so
    // the end of the stream ends the event in progress; a blank line more dispatches nothing.
    this.#parser.feed(done ? `${this.#split ? this.#decoder!.decode() : ""}\n\n` : this.#decode(value));
    if (this.#oversized) throw new ApiError("upstream_error", "The model sent an event larger than this worker accepts.", { detail: `event over MAX_EVENT_BYTES (${this.#maxEventBytes})` });
    let out: Batch = this.#batch;
    // Until the reply starts, usage is held back with the batch: a stalled model that sends
    // only usage (vLLM's continuous_usage_stats) must still meet the first-token timeout.
    const ready = out.length > 0 && (this.#yielded || startsReply(out) || this.#ended || done || this.#failure !== undefined);
    if (ready) {
      this.#batch = [];
      for (const delta of out) if (delta.kind === "finish") this.#finished = true;
      this.#yielded = true;
    } else out = NOTHING;
    if (this.#ended || done || this.#failure) {
      // Whatever follows [DONE] or an error is not read: the connection is released at once.
      this.#close();
      if (!this.#ended && !this.#finished) this.#failure ??= truncated();
      this.#whole = this.#failure === undefined;
    }
    if (out.length > 0) return { done: false, value: out };
    if (this.#failure) throw this.#failure;
    return this.#closed ? DONE : undefined;
  }

  /** One read as text: a character split across reads is joined (an ASCII last byte closes any that was open). */
  #decode(bytes: Uint8Array): string {
    const whole = bytes.length === 0 || bytes[bytes.length - 1]! < 0x80;
    if (whole && !this.#split) return wholeReads.decode(bytes);
    this.#split = !whole;
    return (this.#decoder ??= new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })).decode(bytes, STREAMING);
  }

  #close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader?.cancel().catch(() => undefined);
  }
}
