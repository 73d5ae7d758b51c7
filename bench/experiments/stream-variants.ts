// Ways to build the Spec 1 body from an upstream SSE stream, side by side in one worker, so
// their CPU can be compared in one interleaved run: `npm run bench -- --experiment`.
// Each variant does the same work (decode, parse every event, JSON.parse, re-frame, encode);
// only the stream machinery differs. The path's first segment picks the variant.
import { createParser } from "eventsource-parser";
import { ChunkFramer } from "../../worker/sse/chunk-framer.ts";
import type { Delta } from "../../worker/providers/provider.ts";

interface Env {
  UPSTREAM_BASE_URL: string;
  UPSTREAM_API_KEY: string;
}

const encoder = new TextEncoder();
/** Bytes per BYOB read: larger than any one model event, small enough to reuse cheaply. */
const READ_BYTES = 16 * 1024;
/** Queue in front of the runtime's send: several events' worth, so writes rarely wait. */
const QUEUE_BYTES = 64 * 1024;
const HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

function readEvent(data: string, batch: Delta[]) {
  const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[] };
  const choice = chunk.choices?.[0];
  if (typeof choice?.delta?.content === "string" && choice.delta.content !== "") batch.push({ kind: "text", text: choice.delta.content });
  if (choice?.finish_reason === "stop") batch.push({ kind: "finish", reason: "stop" });
}

/** Decoder + SSE parser + delta reader: one read in, one batch out. */
function eventReader() {
  const decoder = new TextDecoder();
  let batch: Delta[] = [];
  let ended = false;
  const parser = createParser({
    onEvent(event) {
      if (event.data === "[DONE]") ended = true;
      else readEvent(event.data, batch);
    },
  });
  return {
    read(bytes: Uint8Array): Delta[] {
      parser.feed(decoder.decode(bytes, { stream: true }));
      const out = batch;
      batch = [];
      return out;
    },
    get ended() {
      return ended;
    },
  };
}

async function* batches(body: ReadableStream<Uint8Array>): AsyncGenerator<Delta[]> {
  const reader = body.getReader();
  const events = eventReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    const batch = events.read(value);
    if (batch.length) yield batch;
    if (events.ended) return;
  }
}

const framer = () => new ChunkFramer("chatcmpl-x", 1_700_000_000, "bench-model", false);

type Variant = (upstream: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;

const variants: Record<string, Variant> = {
  /** The floor again, in this worker, as the yardstick. */
  passthrough: (upstream) => upstream,

  /** Pull stream over an async generator, each read raced against an abort promise (the shape of the current worker). */
  "pull-gen-race": (upstream) => {
    const it = batches(upstream);
    const f = framer();
    const abort = new Promise<never>(() => undefined);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await Promise.race([it.next(), abort]);
        if (next.done) {
          controller.enqueue(encoder.encode(f.end()));
          controller.close();
        } else controller.enqueue(encoder.encode(f.frame(next.value)));
      },
    });
  },

  /** The same without the race. */
  "pull-gen": (upstream) => {
    const it = batches(upstream);
    const f = framer();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await it.next();
        if (next.done) {
          controller.enqueue(encoder.encode(f.end()));
          controller.close();
        } else controller.enqueue(encoder.encode(f.frame(next.value)));
      },
    });
  },

  /** Pull stream reading the upstream directly: no generator. */
  "pull-direct": (upstream) => {
    const reader = upstream.getReader();
    const events = eventReader();
    const f = framer();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read();
          const out = done ? "" : f.frame(events.read(value));
          if (done || events.ended) {
            controller.enqueue(encoder.encode(out + f.end()));
            controller.close();
            return;
          }
          if (out) return controller.enqueue(encoder.encode(out));
        }
      },
    });
  },

  /** One TransformStream stage: workerd pumps the upstream into it. */
  transform: (upstream) => {
    const events = eventReader();
    const f = framer();
    return upstream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(bytes, controller) {
          if (events.ended) return;
          let out = f.frame(events.read(bytes));
          if (events.ended) out += f.end();
          if (out) controller.enqueue(encoder.encode(out));
        },
      }),
    );
  },

  /** A read loop writing into an IdentityTransformStream: the body the runtime sends is a native stream. */
  "identity-writer": (upstream) => {
    const { readable, writable } = new IdentityTransformStream();
    void writeLoop(upstream, writable.getWriter(), true);
    return readable;
  },

  /** The same loop writing into a JS TransformStream. */
  "ts-writer": (upstream) => {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    void writeLoop(upstream, writable.getWriter(), true);
    return readable;
  },

  /** identity-writer with a queue: a write that fits resolves at once instead of when the runtime has sent it. */
  "identity-hwm": (upstream) => {
    const { readable, writable } = new IdentityTransformStream({ highWaterMark: QUEUE_BYTES });
    void writeLoop(upstream, writable.getWriter(), true);
    return readable;
  },

  /** identity-hwm without awaiting each write: only a full queue makes the loop wait. */
  "identity-hwm-nowait": (upstream) => {
    const { readable, writable } = new IdentityTransformStream({ highWaterMark: QUEUE_BYTES });
    void writeLoop(upstream, writable.getWriter(), false);
    return readable;
  },

  /** identity-copy with the same queue. */
  "identity-copy-hwm": (upstream) => copyLoop(upstream, new IdentityTransformStream({ highWaterMark: QUEUE_BYTES }), false),

  /** The machinery alone: read and write every chunk through JS, no parsing. */
  "identity-copy": (upstream) => copyLoop(upstream, new IdentityTransformStream(), false),

  /**
   * identity-copy that also reads every event as the contract must (decode, parse, JSON.parse,
   * the deltas) and writes the upstream's bytes unchanged: no framing, encoding, timeouts or
   * log. Its distance from identity-copy is the least reading each event can cost.
   */
  "parse-copy": (upstream) => {
    const batch: Delta[] = [];
    const parser = createParser({ onEvent: (event) => void (event.data === "[DONE]" || readEvent(event.data, batch)) });
    return readingCopy(upstream, (text) => {
      parser.feed(text);
      batch.length = 0;
    });
  },

  /**
   * parse-copy without the SSE parser: each read split on blank lines and each data line's
   * JSON parsed, assuming whole events in each read (as the mock sends them) and no comments or
   * CRLF. Not correct for a real upstream; it prices JSON.parse of every event with the least
   * around it.
   */
  "split-copy": (upstream) => {
    const batch: Delta[] = [];
    return readingCopy(upstream, (text) => {
      for (let at = 0, end = text.indexOf("\n\n"); end >= 0; at = end + 2, end = text.indexOf("\n\n", at)) {
        const data = text.slice(at + 6, end);
        if (data !== "[DONE]") readEvent(data, batch);
      }
      batch.length = 0;
    });
  },

  /** identity-copy reading into one reused buffer (BYOB) instead of a fresh one per read. */
  "identity-byob-copy": (upstream) => copyLoop(upstream, new IdentityTransformStream(), true),

  /** identity-writer reading into one reused buffer. */
  "identity-byob": (upstream) => {
    const { readable, writable } = new IdentityTransformStream();
    void writeLoop(upstream, writable.getWriter(), true, true);
    return readable;
  },

  /** The same through a pull stream. */
  "pull-copy": (upstream) => {
    const reader = upstream.getReader();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    });
  },

  /** identity-writer without awaiting each write: backpressure only when the writer says so. */
  "identity-nowait": (upstream) => {
    const { readable, writable } = new IdentityTransformStream();
    void writeLoop(upstream, writable.getWriter(), false);
    return readable;
  },

  /**
   * The runtime's own SSE parser: EventSource.from() pumps the upstream natively and wakes
   * JavaScript once per read that completes an event, with the event's data already decoded.
   * It measured 8% under identity-writer in one paced run, but the worker does not use it: as
   * the SSE specification says, it drops a last event that lacks its blank line (some servers
   * end that way); per workerd's source it buffers an unfinished line natively with no bound
   * (MAX_EVENT_BYTES cannot apply); and a handler cannot hold the upstream back, so a slow
   * caller's writes pile up in memory.
   */
  "eventsource-writer": (upstream) => {
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    const f = framer();
    const source = EventSource.from(upstream);
    let batch: Delta[] = [];
    let ended = false;
    // Events dispatched in one wake-up are framed and written together, at its end.
    let flushQueued = false;
    const flush = () => {
      flushQueued = false;
      let out = f.frame(batch);
      batch = [];
      if (ended) out += f.end();
      if (out) void writer.write(encoder.encode(out));
      if (ended) void writer.close();
    };
    source.onmessage = (event: MessageEvent) => {
      if (ended) return;
      if (event.data === "[DONE]") {
        ended = true;
        source.close();
      } else readEvent(event.data, batch);
      if (!flushQueued) {
        flushQueued = true;
        queueMicrotask(flush);
      }
    };
    source.onerror = () => {
      if (!ended) void writer.abort(new Error("upstream ended without [DONE]"));
    };
    return readable;
  },

  /** Copy only, pushed: a read loop enqueues each chunk into a JS ReadableStream that the runtime pumps out. */
  "push-copy": (upstream) => pushCopy(upstream, false),

  /** The same as a byte stream. */
  "push-bytes-copy": (upstream) => pushCopy(upstream, true),

  /** Copy only, piped: the runtime reads the upstream into a JS WritableStream whose sink writes each chunk on. */
  "pipeto-copy": (upstream) => {
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    void upstream.pipeTo(new WritableStream<Uint8Array>({ write: (chunk) => writer.write(chunk), close: () => writer.close() }));
    return readable;
  },

  /** The identity loop over the async generator, to price the generator alone. */
  "identity-gen": (upstream) => {
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    const f = framer();
    void (async () => {
      for await (const batch of batches(upstream)) await writer.write(encoder.encode(f.frame(batch)));
      await writer.write(encoder.encode(f.end()));
      await writer.close();
    })();
    return readable;
  },
};

/**
 * The upstream's reads: each from a fresh buffer (the default reader), or from one reused
 * buffer (BYOB), whose bytes are only valid until the next read.
 */
function upstreamReads(upstream: ReadableStream<Uint8Array>, byob: boolean): () => Promise<Uint8Array | undefined> {
  if (!byob) {
    const reader = upstream.getReader();
    return async () => {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    };
  }
  const reader = upstream.getReader({ mode: "byob" });
  let buffer = new ArrayBuffer(READ_BYTES);
  return async () => {
    const { done, value } = await reader.read(new Uint8Array(buffer));
    if (done || !value) return undefined;
    buffer = value.buffer;
    return value;
  };
}

function pushCopy(upstream: ReadableStream<Uint8Array>, bytes: boolean): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const start = async (controller: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController) => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      controller.enqueue(value);
    }
  };
  return bytes
    ? new ReadableStream({ type: "bytes", start: (controller) => void start(controller) })
    : new ReadableStream<Uint8Array>({ start: (controller) => void start(controller) });
}

/** identity-copy that hands each read to `read` as text first, decoded as the worker decodes (one decoder, every read ending on a whole character). */
function readingCopy(upstream: ReadableStream<Uint8Array>, read: (text: string) => void) {
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  const next = upstreamReads(upstream, false);
  const decoder = new TextDecoder();
  void (async () => {
    for (let bytes = await next(); bytes; bytes = await next()) {
      read(decoder.decode(bytes));
      await writer.write(bytes);
    }
    await writer.close();
  })();
  return readable;
}

function copyLoop(upstream: ReadableStream<Uint8Array>, { readable, writable }: IdentityTransformStream, byob: boolean) {
  const writer = writable.getWriter();
  const read = upstreamReads(upstream, byob);
  void (async () => {
    for (let bytes = await read(); bytes; bytes = await read()) await writer.write(byob ? bytes.slice() : bytes);
    await writer.close();
  })();
  return readable;
}

async function writeLoop(upstream: ReadableStream<Uint8Array>, writer: WritableStreamDefaultWriter<Uint8Array>, awaitEach: boolean, byob = false) {
  const read = upstreamReads(upstream, byob);
  const events = eventReader();
  const f = framer();
  for (;;) {
    const bytes = await read();
    let out = bytes ? f.frame(events.read(bytes)) : "";
    if (!bytes || events.ended) out += f.end();
    if (out) {
      const written = writer.write(encoder.encode(out));
      if (awaitEach) await written;
      else if ((writer.desiredSize ?? 0) <= 0) await writer.ready;
    }
    if (!bytes || events.ended) break;
  }
  await writer.close();
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method === "GET") return new Response("ok");
    const variant = variants[new URL(request.url).pathname.split("/")[1] ?? ""];
    if (!variant) return new Response("no such variant", { status: 404 });
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.UPSTREAM_API_KEY}` },
      body: request.body,
    });
    return new Response(variant(upstream.body!), { headers: HEADERS });
  },
} satisfies ExportedHandler<Env>;
