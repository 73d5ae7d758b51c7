import { failureOf } from "./failure-of.ts";
import { readEventStream, type StreamRead } from "./read-event-stream.ts";

export interface DataLine {
  /** The payload after "data: ". */
  data: string;
  at: number;
  json?: unknown;
  parseError?: string;
}

/** One Spec 1 request and everything a check may want to know about what came back. */
export interface StreamProbe {
  status: number;
  contentType: string;
  /** The body when it was not an event stream (first bytes only). */
  body?: string;
  read?: StreamRead;
  dataLines: DataLine[];
  /** Lines that are neither data nor blank nor comments. */
  badLines: string[];
  commentLines: number;
  doneCount: number;
  /** Data lines after the first [DONE]. */
  afterDone: number;
  /** Parsed chunk objects, in order (error events included). */
  chunks: Record<string, unknown>[];
  /** The reply text, concatenated from content deltas. */
  text: string;
  toolCalls: number;
  /** Milliseconds from the request to the first content or tool_calls delta. */
  firstTokenAt?: number;
  /** Network or timeout failure before any response. */
  failure?: string;
}

const DONE = "[DONE]";

const deltaOf = (chunk: Record<string, unknown>) => {
  const choices = chunk.choices;
  const first = Array.isArray(choices) ? (choices[0] as Record<string, unknown> | undefined) : undefined;
  return first?.delta as Record<string, unknown> | undefined;
};

/**
 * Sends one Spec 1 request and reads the whole answer. `timeoutMs` bounds the wait for the
 * response headers and then each silence in the stream, never the stream's total length: a
 * long reply that keeps arriving is healthy.
 */
export async function probeStream(send: (signal: AbortSignal) => Promise<Response>, timeoutMs: number): Promise<StreamProbe> {
  const probe: StreamProbe = { status: 0, contentType: "", dataLines: [], badLines: [], commentLines: 0, doneCount: 0, afterDone: 0, chunks: [], text: "", toolCalls: 0 };
  const startedAt = performance.now();
  const controller = new AbortController();
  const giveUpUnless = (what: string) => setTimeout(() => controller.abort(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
  let timer = giveUpUnless("no response");
  let response: Response;
  try {
    response = await send(controller.signal);
  } catch (error) {
    probe.failure = failureOf(error);
    return probe;
  } finally {
    clearTimeout(timer);
  }
  probe.status = response.status;
  probe.contentType = response.headers.get("content-type") ?? "";
  if (!response.body) return probe;
  if (!probe.contentType.startsWith("text/event-stream")) {
    timer = giveUpUnless("no complete body");
    try {
      probe.body = (await response.text()).slice(0, 2000);
    } catch (error) {
      probe.failure = failureOf(error);
    } finally {
      clearTimeout(timer);
    }
    return probe;
  }
  probe.read = await readEventStream(response.body, startedAt, timeoutMs);
  for (const { text: raw, at } of probe.read.lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "") continue;
    if (line.startsWith(":")) {
      probe.commentLines++;
      continue;
    }
    if (!line.startsWith("data: ")) {
      probe.badLines.push(line);
      continue;
    }
    const data = line.slice("data: ".length);
    if (probe.doneCount > 0) probe.afterDone++;
    if (data === DONE) {
      probe.doneCount++;
      continue;
    }
    const entry: DataLine = { data, at };
    try {
      entry.json = JSON.parse(data);
    } catch (error) {
      entry.parseError = (error as Error).message;
    }
    probe.dataLines.push(entry);
    if (entry.json === null || typeof entry.json !== "object") continue;
    const chunk = entry.json as Record<string, unknown>;
    probe.chunks.push(chunk);
    const delta = deltaOf(chunk);
    const content = typeof delta?.content === "string" ? delta.content : "";
    const calls = Array.isArray(delta?.tool_calls) ? delta.tool_calls.length : 0;
    probe.text += content;
    probe.toolCalls += calls;
    if ((content || calls) && probe.firstTokenAt === undefined) probe.firstTokenAt = at;
  }
  return probe;
}
