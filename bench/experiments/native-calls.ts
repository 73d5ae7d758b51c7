// What one per-chunk operation costs inside workerd, for the choices bench/README.md reports:
// each path runs one operation OPS times on a 200-character Spec 1 event (a JS stream's read
// and write WRITES times), and bench/native-calls.ts reads workerd's CPU around each request.
// workerd's clock stands still while JavaScript runs, so timing from inside would read zero.
import { createParser } from "eventsource-parser";
import { OpenaiChunkDeltas } from "../../worker/providers/openai-chunks.ts";
import type { Delta } from "../../worker/providers/provider.ts";
import { ChunkFramer } from "../../worker/sse/chunk-framer.ts";

const OPS = 200_000;
const WRITES = 20_000;
/** Operations a request does once: fewer repeats, since each costs microseconds rather than nanoseconds. */
const PER_REQUEST_OPS = 20_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const STREAMING = { stream: true };
const event = `data: {"id":"chatcmpl-3f1c2d8e-8a4b-4c1e-9a55-1b2c3d4e5f60","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":{"content":" word word w"},"finish_reason":null}]}\n\n`;
const bytes = encoder.encode(event);
const reused = new Uint8Array(4096);
let sink = 0;

/** The ASCII fast path tried in place of TextDecoder (and reverted): a loop, then fromCharCode. */
function asciiDecode(read: Uint8Array): string {
  let i = 0;
  while (i < read.length && read[i]! < 0x80) i++;
  return i === read.length ? String.fromCharCode.apply(null, read as unknown as number[]) : decoder.decode(read, STREAMING);
}

async function writes(make: (i: number) => Uint8Array) {
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  const drain = (async () => {
    const reader = readable.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) sink += read.value.length;
  })();
  for (let i = 0; i < WRITES; i++) await writer.write(make(i));
  await writer.close();
  await drain;
}

const repeat = (op: (i: number) => number) => () => {
  for (let i = 0; i < OPS; i++) sink += op(i);
};
const framer = new ChunkFramer("chatcmpl-3f1c2d8e-8a4b-4c1e-9a55-1b2c3d4e5f60", 1700000000, "bench-model", false);
const text: Delta[] = [{ kind: "text", text: " word word w" }];
let batch: Delta[] = [];
const chunkReader = new OpenaiChunkDeltas();
const parser = createParser({ onEvent: (sse) => chunkReader.read(sse.data, batch) });

const perRequest = (op: (i: number) => number) => () => {
  for (let i = 0; i < PER_REQUEST_OPS; i++) sink += op(i);
};
const requestUrl = "http://127.0.0.1:8787/v1/chat/completions";
const logLine = { level: "info", requestId: "3f1c2d8e-8a4b-4c1e-9a55-1b2c3d4e5f60", route: "spec1", provider: "openai", status: 200, outcome: "ok", ttftMs: 1, durationMs: 2, chunks: 2 };
const sseHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "content-encoding": "identity", "x-accel-buffering": "no" };
const keyBytes = encoder.encode("bench-key-0123456789");
const sharedSseHeaders = new Headers(sseHeaders);

const paths: Record<string, () => void | Promise<void>> = {
  // `event + i` makes each string new, as each batch's events are; concat prices that alone.
  concat: repeat((i) => (event + i).length),
  "text-encoder-encode": repeat((i) => encoder.encode(event + i).length),
  "encode-into-reused": repeat((i) => encoder.encodeInto(event + i, reused).written),
  "text-decoder-decode": repeat(() => decoder.decode(bytes, STREAMING).length),
  "ascii-loop-decode": repeat(() => asciiDecode(bytes).length),
  "date-now": repeat(() => Date.now() & 1),
  "json-parse-and-read": repeat(() => {
    const deltas: Delta[] = [];
    chunkReader.read(event.slice(6, -2), deltas);
    return deltas.length;
  }),
  "sse-parse-and-read": repeat(() => {
    parser.feed(event);
    const n = batch.length;
    batch = [];
    return n;
  }),
  "frame-event": repeat(() => framer.frame(text).length),
  // Once per request (PER_REQUEST_OPS times each):
  "req-noop": perRequest((i) => i & 1),
  "req-random-uuid": perRequest(() => crypto.randomUUID().length),
  "req-new-url": perRequest(() => new URL(requestUrl).pathname.length),
  "req-timing-safe-equal": perRequest(() => (crypto.subtle.timingSafeEqual(encoder.encode("bench-key-0123456789"), encoder.encode("bench-key-0123456789")) ? 1 : 0)),
  "req-timing-safe-equal-pre-encoded": perRequest(() => (crypto.subtle.timingSafeEqual(encoder.encode("bench-key-0123456789"), keyBytes) ? 1 : 0)),
  "req-set-clear-timeout": perRequest(() => {
    clearTimeout(setTimeout(() => undefined, 15_000));
    return 1;
  }),
  "req-abort-controller-listener": perRequest(() => {
    const controller = new AbortController();
    controller.signal.addEventListener("abort", () => undefined, { once: true });
    return 1;
  }),
  "req-log-stringify": perRequest(() => JSON.stringify({ ...logLine, durationMs: Date.now() & 7 }).length),
  "req-log-console": perRequest(() => {
    console.log(JSON.stringify({ ...logLine, durationMs: Date.now() & 7 }));
    return 1;
  }),
  "req-response-headers": perRequest(() => new Response(null, { status: 200, headers: { ...sseHeaders, "x-request-id": "3f1c2d8e" } }).status),
  "req-response-headers-set": perRequest(() => {
    const response = new Response(null, { status: 200, headers: { ...sseHeaders, "x-request-id": "3f1c2d8e" } });
    response.headers.set("x-request-id", "3f1c2d8e");
    return response.status;
  }),
  "req-response-shared-headers-set": perRequest(() => {
    const response = new Response(null, { status: 200, headers: sharedSseHeaders });
    response.headers.set("x-request-id", "3f1c2d8e");
    return response.status;
  }),
  "req-identity-transform-writer": perRequest(() => {
    const { writable } = new IdentityTransformStream();
    writable.getWriter().closed.catch(() => undefined);
    return 1;
  }),
  "write-fresh-buffer": () => writes((i) => encoder.encode(event + i)),
  "write-reused-buffer": () => writes((i) => reused.subarray(0, encoder.encodeInto(event + i, reused).written)),
};

export default {
  async fetch(request: Request) {
    const name = new URL(request.url).pathname.slice(1);
    if (name === "health") return new Response("ok");
    if (name === "paths") return Response.json(Object.keys(paths).map((path) => ({ path, ops: path.startsWith("write-") ? WRITES : path.startsWith("req-") ? PER_REQUEST_OPS : OPS })));
    const path = paths[name];
    if (!path) return new Response("no such path", { status: 404 });
    await path();
    return new Response(String(sink));
  },
};
