// A real HTTP server on 127.0.0.1 standing in for a model server: each request is answered
// by the next scripted reply, and every request is recorded with the moment its connection
// closed, so a test can tell how fast the worker let go of an upstream.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

/** What the upstream does next: write text or raw bytes, wait (a while, or until the test says), hang forever, or drop the connection. */
export type Step = string | Uint8Array | { wait: number } | { until: Promise<unknown> } | "hang" | "destroy";

export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  /** Holds the status line back this long (slow headers). */
  headersAfterMs?: number;
  body?: Step[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the connection of this request closed. */
  closed: Promise<number>;
}

export interface FakeUpstream {
  url: string;
  requests: RecordedRequest[];
  /** Queues replies, one per request; the last one keeps answering. */
  reply: (...replies: ScriptedReply[]) => void;
  close: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function play(res: ServerResponse, reply: ScriptedReply): Promise<void> {
  if (reply.headersAfterMs) await sleep(reply.headersAfterMs);
  if (res.destroyed) return;
  res.writeHead(reply.status ?? 200, reply.headers ?? { "content-type": "text/event-stream" });
  res.flushHeaders();
  for (const step of reply.body ?? []) {
    if (res.destroyed) return;
    if (step === "hang") return;
    if (step === "destroy") return void res.socket?.destroy();
    if (typeof step === "object" && "wait" in step) await sleep(step.wait);
    else if (typeof step === "object" && "until" in step) await step.until;
    else res.write(step);
  }
  res.end();
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const queue: ScriptedReply[] = [{ body: [] }];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    req.socket.setNoDelay(true);
    const parts: Buffer[] = [];
    const closed = new Promise<number>((resolve) => res.once("close", () => resolve(performance.now())));
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(parts).toString("utf8"), closed });
      const reply = queue.length > 1 ? queue.shift()! : queue[0]!;
      void play(res, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => queue.splice(0, queue.length, ...replies),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** An OpenAI-compatible stream: each object as one `data:` event, then [DONE]. */
export const sseEvents = (chunks: readonly object[], done = true): string[] => [
  ...chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`),
  ...(done ? ["data: [DONE]\n\n"] : []),
];

/** A chunk as upstream servers send it; their own id and model, which the worker replaces. */
export const upstreamChunk = (delta: object, finishReason: string | null = null) => ({
  id: "chatcmpl-upstream-1",
  object: "chat.completion.chunk",
  created: 1700000000,
  model: "upstream-model",
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
});

/** A text reply cut into the given pieces, as a well-behaved upstream streams it. */
export const textReply = (pieces: readonly string[]) =>
  sseEvents([upstreamChunk({ role: "assistant", content: "" }), ...pieces.map((piece) => upstreamChunk({ content: piece })), upstreamChunk({}, "stop")]);
