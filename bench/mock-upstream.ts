// A mock OpenAI-compatible chat-completions upstream on 127.0.0.1. It streams the reply a
// StreamProfile describes (sent in the last user message), one socket write per chunk, and
// ends with [DONE]. Run as its own process so its timers keep time however busy the
// measuring client is: `node bench/mock-upstream.ts [--key <api key>]` prints {"port":N}.
// A path under /first-<ms>/ answers with that first-token delay whatever the profile says (a
// second, differently paced upstream on the same port), and GET /records lists, for every
// request whose profile names a call, when it arrived, when its first chunk was written and when it closed.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { chunkText, readProfile, replyText, type StreamProfile } from "./stream-profile.ts";

/** What a request without a profile gets: a short, instant reply, enough for a smoke test. */
const DEFAULT_PROFILE: StreamProfile = { chunks: 5, size: 12, firstMs: 0, gapMs: 0 };
/** The created stamp of every chunk; fixed, since nothing reads it and it keeps the mock deterministic. */
const CREATED = 1_700_000_000;

interface ChatBody {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  lastUser: string;
}

function parseBody(raw: string): ChatBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const body = value as { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown }; messages?: unknown };
  if (typeof body.model !== "string" || !Array.isArray(body.messages)) return undefined;
  const users = (body.messages as { role?: unknown; content?: unknown }[]).filter((message) => message?.role === "user");
  const content = users.at(-1)?.content;
  return { model: body.model, stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true, lastUser: typeof content === "string" ? content : "" };
}

function sendError(response: ServerResponse, status: number, message: string) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: null } }));
}

function chunkEvent(model: string, delta: object, finishReason: string | null) {
  const chunk = { id: "chatcmpl-mock", object: "chat.completion.chunk", created: CREATED, model, choices: [{ index: 0, delta, finish_reason: finishReason }] };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** What the hedging run reads back: per request, on the clock of performance.timeOrigin (ms). */
export interface CallRecord {
  call: number;
  path: string;
  /** When the request's body had arrived whole. */
  receivedAt: number;
  firstChunkAt: number | null;
  closedAt: number | null;
  completed: boolean;
}
const records: CallRecord[] = [];
const now = () => performance.timeOrigin + performance.now();

function streamReply(response: ServerResponse, body: ChatBody, profile: StreamProfile, record: CallRecord | undefined) {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.flushHeaders();
  let i = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const next = () => {
    if (i < profile.chunks) {
      const role = i === 0 ? chunkEvent(body.model, { role: "assistant", content: "" }, null) : "";
      if (i === 0 && record) record.firstChunkAt = now();
      response.write(role + chunkEvent(body.model, { content: chunkText(i, profile.size) }, null));
      i++;
      // A zero gap still yields between chunks, so each chunk is its own write (and read) as from a real model.
      timer = profile.gapMs > 0 && i < profile.chunks ? setTimeout(next, profile.gapMs) : setImmediate(next);
      return;
    }
    let tail = chunkEvent(body.model, {}, "stop");
    if (body.includeUsage) {
      const usage = { prompt_tokens: 10, completion_tokens: profile.chunks, total_tokens: 10 + profile.chunks };
      tail += `data: ${JSON.stringify({ id: "chatcmpl-mock", object: "chat.completion.chunk", created: CREATED, model: body.model, choices: [], usage })}\n\n`;
    }
    response.end(`${tail}data: [DONE]\n\n`);
    if (record) record.completed = true;
  };
  response.on("close", () => {
    if (record) record.closedAt = now();
    if (timer) clearTimeout(timer as NodeJS.Timeout), clearImmediate(timer as NodeJS.Immediate);
  });
  timer = profile.firstMs > 0 ? setTimeout(next, profile.firstMs) : setImmediate(next);
}

function answerWhole(response: ServerResponse, body: ChatBody, profile: StreamProfile) {
  const completion = {
    id: "chatcmpl-mock",
    object: "chat.completion",
    created: CREATED,
    model: body.model,
    choices: [{ index: 0, message: { role: "assistant", content: replyText(profile) }, finish_reason: "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: profile.chunks, total_tokens: 10 + profile.chunks },
  };
  setTimeout(() => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(completion));
  }, profile.firstMs + profile.gapMs * Math.max(0, profile.chunks - 1));
}

function handle(apiKey: string | undefined, request: IncomingMessage, response: ServerResponse) {
  if (request.method === "GET" && request.url === "/records") {
    response.writeHead(200, { "content-type": "application/json" });
    return void response.end(JSON.stringify(records));
  }
  if (request.method !== "POST" || !request.url?.split("?")[0]?.endsWith("/chat/completions")) return sendError(response, 404, "Only POST .../chat/completions is served.");
  if (apiKey !== undefined && request.headers.authorization !== `Bearer ${apiKey}`) return sendError(response, 401, "Incorrect API key provided.");
  const parts: Buffer[] = [];
  request.on("data", (part: Buffer) => parts.push(part));
  request.on("end", () => {
    const body = parseBody(Buffer.concat(parts).toString("utf8"));
    if (!body) return sendError(response, 400, "The body is not a chat-completions request.");
    const asked = readProfile(body.lastUser) ?? DEFAULT_PROFILE;
    const paced = /^\/first-(\d+)\//.exec(request.url ?? "");
    const profile = paced ? { ...asked, firstMs: Number(paced[1]) } : asked;
    const record = profile.call === undefined ? undefined : { call: profile.call, path: request.url ?? "", receivedAt: now(), firstChunkAt: null, closedAt: null, completed: false };
    if (record) records.push(record);
    if (body.stream) streamReply(response, body, profile, record);
    else answerWhole(response, body, profile);
  });
}

/** Starts the mock on an ephemeral loopback port. */
export function startMockUpstream(apiKey?: string): Promise<{ port: number; close: () => void }> {
  // Long timeouts: the load run holds a thousand streams open on kept-alive sockets.
  const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 0, headersTimeout: 60_000 }, (request, response) => handle(apiKey, request, response));
  server.maxConnections = 10_000;
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({ port, close: () => server.close() });
    });
  });
}

if (import.meta.main) {
  const keyAt = process.argv.indexOf("--key");
  const { port } = await startMockUpstream(keyAt > 0 ? process.argv[keyAt + 1] : undefined);
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
}
