import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { createParser } from "eventsource-parser";

/** How a target is called and answers: OpenAI chat-completions SSE (Spec 1) or IMS form -> {"Text"} (Spec 2). */
export type Wire = "openai-sse" | "alibaba-form";

export interface CallSpec {
  url: string;
  wire: Wire;
  /** Sent as `Authorization: Bearer` (openai-sse) or the Token field (alibaba-form). */
  credential: string;
  /** The last user message (it carries the mock's stream profile). */
  prompt: string;
  /** The text a correct answer holds, character for character. */
  expectedText: string;
  /** The request's model (Spec 1), which a MODELS route is chosen by; "bench-model" by default. */
  model?: string;
  timeoutMs: number;
}

export interface CallResult {
  ok: boolean;
  /** Why the call failed verification. */
  error?: string;
  /** Milliseconds to the first content event (openai-sse) or the first body byte (alibaba-form). */
  ttftMs: number;
  totalMs: number;
  /** Content events received (0 for alibaba-form, which answers in one piece). */
  chunks: number;
  /** Milliseconds from the first to the last content event. */
  spreadMs: number;
}

/** One pool of kept-alive sockets for the whole run, as a busy caller (IMS) would keep. */
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

export const closeClient = () => agent.destroy();

interface ChunkShape {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  error?: unknown;
}

/** Reads a Spec 1 stream event by event and checks the text, one finish_reason "stop" and a final [DONE]. */
function readSse(response: IncomingMessage, spec: CallSpec, started: number): Promise<CallResult> {
  let text = "";
  let chunks = 0;
  let first = -1;
  let last = -1;
  let finishes = 0;
  let done = false;
  let fault: string | undefined;
  const parser = createParser({
    onEvent(event) {
      if (fault) return;
      if (done) return void (fault = "data after [DONE]");
      if (event.data === "[DONE]") return void (done = true);
      let chunk: ChunkShape;
      try {
        chunk = JSON.parse(event.data) as ChunkShape;
      } catch {
        return void (fault = `an event that is not JSON: ${event.data.slice(0, 80)}`);
      }
      if (chunk.error !== undefined) return void (fault = `an error event: ${event.data.slice(0, 200)}`);
      const choice = chunk.choices?.[0];
      if (!choice) return;
      const content = choice.delta?.content;
      if (typeof content === "string" && content !== "") {
        const now = performance.now() - started;
        if (first < 0) first = now;
        last = now;
        chunks++;
        text += content;
      }
      if (choice.finish_reason === "stop") finishes++;
      else if (choice.finish_reason !== null && choice.finish_reason !== undefined) fault = `finish_reason ${String(choice.finish_reason)}`;
    },
  });
  response.setEncoding("utf8");
  response.on("data", (part: string) => parser.feed(part));
  return new Promise((resolve) => {
    response.on("end", () => {
      const totalMs = performance.now() - started;
      const error =
        fault ??
        (text !== spec.expectedText ? `text differs (${text.length} of ${spec.expectedText.length} chars)` : undefined) ??
        (finishes !== 1 ? `${finishes} finish_reason "stop" events` : undefined) ??
        (!done ? "no [DONE]" : undefined);
      resolve({ ok: error === undefined, ...(error && { error }), ttftMs: first, totalMs, chunks, spreadMs: last - first });
    });
    response.on("error", (error) => resolve(failed(`stream broke: ${error.message}`, started)));
    // A promise settles once: after "end" this is a no-op; without it, the stream was cut.
    response.on("close", () => resolve(failed("the stream closed before its end", started)));
  });
}

/** Reads a Spec 2 answer and checks its Text. */
function readText(response: IncomingMessage, spec: CallSpec, started: number): Promise<CallResult> {
  let body = "";
  let firstByte = -1;
  response.setEncoding("utf8");
  response.on("data", (part: string) => {
    if (firstByte < 0) firstByte = performance.now() - started;
    body += part;
  });
  return new Promise((resolve) => {
    response.on("end", () => {
      const totalMs = performance.now() - started;
      let text: unknown;
      try {
        text = (JSON.parse(body) as { Text?: unknown }).Text;
      } catch {
        return resolve(failed(`a body that is not JSON: ${body.slice(0, 200)}`, started));
      }
      const error = text === spec.expectedText ? undefined : `Text differs: ${JSON.stringify(text).slice(0, 120)}`;
      resolve({ ok: error === undefined, ...(error && { error }), ttftMs: firstByte, totalMs, chunks: 0, spreadMs: 0 });
    });
    response.on("error", (error) => resolve(failed(`body broke: ${error.message}`, started)));
    response.on("close", () => resolve(failed("the body closed before its end", started)));
  });
}

const failed = (error: string, started: number): CallResult => ({ ok: false, error, ttftMs: -1, totalMs: performance.now() - started, chunks: 0, spreadMs: 0 });

function requestBody(spec: CallSpec): { body: string; headers: Record<string, string> } {
  const messages = [
    { role: "system", content: "You are a concise voice assistant." },
    { role: "user", content: spec.prompt },
  ];
  if (spec.wire === "openai-sse") {
    return {
      body: JSON.stringify({ model: spec.model ?? "bench-model", stream: true, messages, extendData: { instanceId: "bench", sentenceId: 1 } }),
      headers: { "content-type": "application/json", authorization: `Bearer ${spec.credential}` },
    };
  }
  const form = new URLSearchParams({ Message: JSON.stringify(messages), Token: spec.credential, ExtendData: '{"InstanceId":"bench"}' });
  return { body: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } };
}

/** Makes one call and verifies the answer in full. Never throws: every failure is a result. */
export function call(spec: CallSpec): Promise<CallResult> {
  const { body, headers } = requestBody(spec);
  const started = performance.now();
  return new Promise((resolve) => {
    const outgoing = httpRequest(spec.url, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (response) => {
      if (response.statusCode !== 200) {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (part: string) => (text += part));
        response.on("end", () => resolve(failed(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`, started)));
        return;
      }
      resolve(spec.wire === "openai-sse" ? readSse(response, spec, started) : readText(response, spec, started));
    });
    outgoing.setTimeout(spec.timeoutMs, () => outgoing.destroy(new Error(`no answer within ${spec.timeoutMs} ms`)));
    outgoing.on("error", (error) => resolve(failed(error.message, started)));
    outgoing.end(body);
  });
}

/** Runs `count` calls with at most `concurrency` in flight. */
export async function callMany(count: number, concurrency: number, makeSpec: (i: number) => CallSpec): Promise<CallResult[]> {
  const results: CallResult[] = [];
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) results.push(await call(makeSpec(i)));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}
