// The harness of bench/request-calls.ts: serves GET /run?n=N[&chunks=C], which sends N Spec 1 requests one
// after another to a worker inside this same isolate, each answered by a stand-in upstream (the
// global fetch replaced) that streams a short reply, and reads every answer to its end. With
// no network, no client and no mock in the measurement, the CPU that the driver reads around a
// run is the worker's per-request path (routing, checks, the call's setup, the log line) plus
// the few reads and writes of a short stream, precise enough to compare builds of the worker.

/** A worker module's default export, as the bundles export it. */
export interface WorkerModule {
  fetch(request: Request, env: Record<string, string>, ctx: ExecutionContext): Promise<Response> | Response;
}

const encoder = new TextEncoder();
const event = (delta: string, finish: string | null) =>
  `data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":${delta},"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}\n\n`;
/**
 * The mock's reply of `chunks` text chunks as it arrives, one read per chunk: role and the first
 * text, then each text chunk, then finish and [DONE] (two chunks: the three reads of the mock's
 * two-chunk reply). Made once per chunk count.
 */
const upstreamReads = (chunks: number) =>
  [
    event('{"role":"assistant","content":""}', null) + event('{"content":"word word w"}', null),
    ...Array.from({ length: chunks - 1 }, () => event('{"content":"ord word wo"}', null)),
    `${event("{}", "stop")}data: [DONE]\n\n`,
  ].map((text) => encoder.encode(text));

const upstreamReply = (reads: readonly Uint8Array[]) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const read of reads) controller.enqueue(read.slice());
        controller.close();
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  );

const REQUEST_BODY = JSON.stringify({ model: "bench-model", stream: true, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say two words." }] });
// As IMS and every HTTP client send it: a Request made in JavaScript carries no Content-Length of its own, and without
// one the worker reads the body as a chunked upload, which no caller of the bench sends.
const REQUEST_BYTES = String(encoder.encode(REQUEST_BODY).byteLength);
export const API_KEY = "bench-api-key";
const env = { MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: "https://upstream.example/v1", UPSTREAM_API_KEY: "bench-upstream-key", API_KEYS: API_KEY };
const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} } as unknown as ExecutionContext;

async function drain(response: Response): Promise<number> {
  if (!response.body) return 0;
  let bytes = 0;
  const reader = response.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.byteLength;
  return bytes;
}

/** The harness around `worker`: every target runs the same client loop and the same stand-in upstream. */
export function harness(worker: WorkerModule) {
  return {
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      if (url.pathname === "/health") return new Response("ok");
      if (url.pathname !== "/run") return new Response("no such path", { status: 404 });
      const n = Number(url.searchParams.get("n") ?? "1");
      const reads = upstreamReads(Number(url.searchParams.get("chunks") ?? "2"));
      const realFetch = globalThis.fetch;
      globalThis.fetch = async () => upstreamReply(reads);
      let bytes = 0;
      try {
        for (let i = 0; i < n; i++) {
          const call = new Request("http://worker.invalid/v1/chat/completions", {
            method: "POST",
            headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", "content-length": REQUEST_BYTES },
            body: REQUEST_BODY,
          });
          const response = await worker.fetch(call, env, ctx);
          const read = await drain(response);
          if (response.status !== 200 || read === 0) throw new Error(`request ${i}: status ${response.status}, ${read} bytes, ${response.headers.get("x-request-id")}`);
          bytes += read;
        }
      } catch (error) {
        return new Response(String(error), { status: 500 });
      } finally {
        globalThis.fetch = realFetch;
      }
      return new Response(String(bytes));
    },
  };
}

/** The copy worker's loop over the same stand-in upstream: the least a worker that reads each chunk costs here. */
export const copyWorker: WorkerModule = {
  async fetch(request) {
    const upstream = await fetch("https://upstream.example/v1/chat/completions", { method: "POST", body: request.body, signal: request.signal });
    const { readable, writable } = new IdentityTransformStream();
    void copy(upstream.body!.getReader(), writable.getWriter());
    return new Response(readable, { status: upstream.status, headers: upstream.headers });
  },
};

async function copy(reader: ReadableStreamDefaultReader<Uint8Array>, writer: WritableStreamDefaultWriter<ArrayBufferView>) {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    await writer.write(value);
  }
  await writer.close();
}
