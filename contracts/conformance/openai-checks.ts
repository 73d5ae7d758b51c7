import { excerpt, fail, once, pass, skip, type Check, type Finding } from "./check.ts";
import { docChatRequest, multimodalChatRequest, twentyMessageChatRequest } from "./ims-requests.ts";
import { probeStream, type StreamProbe } from "./probe-stream.ts";
import { schemaViolation } from "./published-schemas.ts";
import { chatCompletionsUrl, type Target } from "./target.ts";
import { failureOf } from "./failure-of.ts";

/** IMS's shortest filler-speech wait (AutoSpeechConfig.LlmPending.WaitTime is 500-10,000 ms). */
const FILLER_SPEECH_MS = 500;
const DEFAULT_MODEL = "ims-llm-verify";
/** A key no deployment would accept. */
const WRONG_KEY = "sk-ims-llm-verify-wrong-key";

export interface OpenAIProbes {
  target: Target;
  /** Sends a Spec 1 body with the target's key (or `key`) to the URL IMS would call. */
  post: (body: unknown, signal: AbortSignal, key?: string) => Promise<Response>;
  doc: () => Promise<StreamProbe>;
  history: () => Promise<StreamProbe>;
  multimodal: () => Promise<StreamProbe>;
  wrongKey: () => Promise<{ status: number; body: string } | { failure: string }>;
}

export function openaiProbes(target: Target): OpenAIProbes {
  const model = target.model ?? DEFAULT_MODEL;
  const post = (body: unknown, signal: AbortSignal, key = target.apiKey) =>
    target.fetch(chatCompletionsUrl(target.url), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...(key !== undefined && { authorization: `Bearer ${key}` }) },
      body: JSON.stringify(body),
      signal,
    });
  return {
    target,
    post,
    doc: once(() => probeStream((signal) => post(docChatRequest(model), signal), target.timeoutMs)),
    history: once(() => probeStream((signal) => post(twentyMessageChatRequest(model), signal), target.timeoutMs)),
    multimodal: once(() => probeStream((signal) => post(multimodalChatRequest(model), signal), target.timeoutMs)),
    wrongKey: once(async () => {
      try {
        const response = await post(docChatRequest(model), AbortSignal.timeout(target.timeoutMs), WRONG_KEY);
        const body = await response.text();
        return { status: response.status, body };
      } catch (error) {
        return { failure: failureOf(error) };
      }
    }),
  };
}

/** The status line of a probe that did not stream, for a failure report. */
const answered = (probe: StreamProbe) => {
  if (probe.failure) return `no response: ${probe.failure}`;
  const head = `${probe.status} ${probe.contentType || "(no content type)"}`;
  if (probe.read) return `${head}, ${probe.doneCount} [DONE], ended by ${probe.read.end}`;
  return probe.body ? `${head} ${excerpt(probe.body)}` : head;
};

/**
 * Checks that read the doc's stream first confirm there is one; when there is none, they
 * point at openai.event-stream, which shows what came instead, so one fault is described once.
 */
const streamed = async (probe: () => Promise<StreamProbe>, then: (probe: StreamProbe) => Finding): Promise<Finding> => {
  const result = await probe();
  if (!result.read) return fail("no event stream to examine (see openai.event-stream)");
  return then(result);
};

const endedCleanly = (probe: StreamProbe): Finding => {
  if (probe.status !== 200 || !probe.read) return fail("not a 200 event stream", "200 text/event-stream", answered(probe));
  if (probe.read.end !== "eof") return fail(`the stream ended by ${probe.read.end}`, "a stream that ends", probe.read.error ?? probe.read.end);
  if (probe.doneCount !== 1) return fail("no single [DONE]", "one data: [DONE]", `${probe.doneCount}`);
  if (!probe.text && !probe.toolCalls) return fail("the reply was empty", "content or tool_calls", "nothing");
  return pass(`${probe.chunks.length} chunks, ${probe.text.length} characters`);
};

export const openaiChecks: Check<OpenAIProbes>[] = [
  {
    id: "openai.event-stream",
    level: "MUST",
    clause: "Spec 1: only streaming is supported; IMS reads a text/event-stream",
    title: "HTTP 200 with Content-Type text/event-stream",
    run: async (probes) => {
      const probe = await probes.doc();
      return probe.status === 200 && probe.contentType.startsWith("text/event-stream")
        ? pass(probe.contentType)
        : fail("not a 200 event stream", "200 text/event-stream", answered(probe));
    },
  },
  {
    id: "openai.data-lines",
    level: "MUST",
    clause: "OpenAI stream framing: every event is `data: <json>`; openai-node JSON.parses every data line",
    title: "Every line is `data: ` + JSON, or the final [DONE]",
    run: (probes) =>
      streamed(probes.doc, (probe) => {
        if (probe.badLines.length) return fail("a line is not an SSE data line", "data: <json>", excerpt(probe.badLines[0]!));
        const broken = probe.dataLines.find((line) => line.parseError);
        if (broken) return fail("a data line is not JSON", "JSON", `${excerpt(broken.data)} (${broken.parseError})`);
        return pass(`${probe.dataLines.length} data lines`);
      }),
  },
  {
    id: "openai.no-comment-lines",
    level: "SHOULD",
    clause: "go-openai fails after 300 comment or blank lines in one read",
    title: "No comment (keep-alive) lines",
    run: (probes) =>
      streamed(probes.doc, (probe) =>
        probe.commentLines === 0 ? pass() : fail(`${probe.commentLines} comment line(s)`, "0", String(probe.commentLines)),
      ),
  },
  {
    id: "openai.chunk-shape",
    level: "MUST",
    clause: "Strict OpenAI clients require id, object, created, model, choices[].index and delta on every chunk",
    title: "Every chunk has the chat.completion.chunk shape (extra fields allowed)",
    run: (probes) => streamed(probes.doc, (probe) => chunksMatch(probe, "lenient")),
  },
  {
    id: "openai.chunk-schema",
    level: "SHOULD",
    clause: "Published contract openai-chat-chunk (strict)",
    title: "Every chunk matches the published chunk schema exactly",
    run: (probes) => streamed(probes.doc, (probe) => chunksMatch(probe, "strict")),
  },
  {
    id: "openai.stable-identity",
    level: "MUST",
    clause: "Every chunk: the same id, created and model",
    title: "id, created and model are the same on every chunk",
    run: (probes) =>
      streamed(probes.doc, (probe) => {
        const [first, ...rest] = probe.chunks;
        if (!first) return fail("no chunks", "at least one chunk", "none");
        for (const key of ["id", "created", "model"] as const) {
          const other = rest.find((chunk) => chunk[key] !== first[key]);
          if (other) return fail(`${key} changed`, JSON.stringify(first[key]), JSON.stringify(other[key]));
        }
        return pass(`id ${String(first.id)}`);
      }),
  },
  {
    id: "openai.role-first",
    level: "SHOULD",
    clause: 'Convention: the first delta is {"role":"assistant","content":""}; some clients reject a first chunk without content',
    title: "The first chunk carries role assistant",
    run: (probes) =>
      streamed(probes.doc, (probe) => {
        const choices = probe.chunks[0]?.choices as { delta?: Record<string, unknown> }[] | undefined;
        const delta = choices?.[0]?.delta;
        return delta?.role === "assistant" && typeof delta.content === "string"
          ? pass()
          : fail("the first delta is not the role delta", '{"role":"assistant","content":""}', JSON.stringify(delta ?? null));
      }),
  },
  {
    id: "openai.finish-reason",
    level: "MUST",
    clause: "A last chunk with finish_reason stop (or tool_calls)",
    title: "A chunk sets finish_reason",
    run: (probes) =>
      streamed(probes.doc, (probe) => {
        const reasons = probe.chunks.flatMap((chunk) =>
          Array.isArray(chunk.choices) ? (chunk.choices as { finish_reason?: unknown }[]).map((choice) => choice.finish_reason).filter((reason) => reason != null) : [],
        );
        return reasons.length ? pass(String(reasons[0])) : fail("no chunk has a finish_reason", '"stop"', "null on every chunk");
      }),
  },
  {
    id: "openai.done-once",
    level: "MUST",
    clause: "The stream ends with exactly one data: [DONE], and the server closes it",
    title: "Exactly one [DONE], last, then the stream closes",
    run: (probes) =>
      streamed(probes.doc, (probe) => {
        if (probe.doneCount !== 1) return fail("wrong number of [DONE]", "1", String(probe.doneCount));
        if (probe.afterDone) return fail("data after [DONE]", "nothing", `${probe.afterDone} line(s)`);
        if (probe.read!.end !== "eof") return fail(`the stream did not close (${probe.read!.end})`, "close after [DONE]", probe.read!.error ?? probe.read!.end);
        return pass();
      }),
  },
  {
    id: "openai.no-stall",
    level: "MUST",
    clause: "IMS waits on the open stream while the caller hears nothing; a stream that goes quiet without closing holds the call",
    title: "The stream never goes quiet for longer than --timeout-ms, and closes",
    run: (probes) =>
      streamed(probes.doc, (probe) => {
        const read = probe.read!;
        let previous = 0;
        let longest = 0;
        for (const line of read.lines) {
          longest = Math.max(longest, line.at - previous);
          previous = line.at;
        }
        if (read.end === "stall" || read.end === "limit") longest = Math.max(longest, read.elapsed - previous);
        const figure = { name: "longest silence", value: Math.round(longest), unit: "ms" };
        const limit = probes.target.timeoutMs;
        if (read.end === "stall") return { ...fail(`the stream went quiet after ${read.lines.length} line(s) and did not close`, `a line at least every ${limit} ms, then the end`, `nothing for ${limit} ms`), figure };
        if (read.end === "limit") return { ...fail("the stream never closed", "a stream that ends", `still open after ${Math.round(read.elapsed)} ms`), figure };
        return pass(undefined, figure);
      }),
  },
  {
    id: "openai.reply",
    level: "MUST",
    clause: "IMS speaks the content deltas (or acts on tool_calls)",
    title: "The doc's example gets a non-empty reply",
    run: (probes) =>
      streamed(probes.doc, (probe) =>
        probe.text || probe.toolCalls ? pass(excerpt(probe.text || `${probe.toolCalls} tool call(s)`, 80)) : fail("no content", "some text", "empty"),
      ),
  },
  {
    id: "openai.first-token-time",
    level: "SHOULD",
    clause: `IMS plays filler speech when the first packet is slower than LlmPending.WaitTime (at least ${FILLER_SPEECH_MS} ms)`,
    title: `First token within ${FILLER_SPEECH_MS} ms`,
    run: (probes) =>
      streamed(probes.doc, (probe) => {
        if (probe.firstTokenAt === undefined) return fail("no token arrived", `< ${FILLER_SPEECH_MS} ms`, "none");
        const figure = { name: "time to first token", value: Math.round(probe.firstTokenAt), unit: "ms" };
        return probe.firstTokenAt <= FILLER_SPEECH_MS
          ? pass(undefined, figure)
          : { ...fail("slower than IMS's shortest filler-speech wait", `<= ${FILLER_SPEECH_MS} ms`, `${figure.value} ms`), figure };
      }),
  },
  {
    id: "openai.history-20",
    level: "MUST",
    clause: "messages: at most 20 records; extendData with instanceId, channelId, sentenceId, callerNumber, calleeNumber, userData",
    title: "A 20-record history with every extendData field is answered",
    run: async (probes) => endedCleanly(await probes.history()),
  },
  {
    id: "openai.multimodal",
    level: "SHOULD",
    clause: "MLLM node: content as an array of image_url and text parts",
    title: "A turn with an image part is answered",
    run: async (probes) => endedCleanly(await probes.multimodal()),
  },
  {
    id: "openai.wrong-key",
    level: "SHOULD",
    clause: "API-KEY: the endpoint sits on the internet in front of a paid model",
    title: "A wrong API key is refused with 401 or 403",
    run: async (probes) => {
      const result = await probes.wrongKey();
      if ("failure" in result) return fail("no response", "401", result.failure);
      if (result.status === 401 || result.status === 403) return pass(String(result.status));
      return fail("a wrong key was not refused", "401 or 403", String(result.status));
    },
  },
  {
    id: "openai.error-body",
    level: "SHOULD",
    clause: 'OpenAI clients read {"error": {message, type, param, code}} from a refusal',
    title: "The refusal's body is an OpenAI error object",
    run: async (probes) => {
      const result = await probes.wrongKey();
      if ("failure" in result) return fail("no response", "an error body", result.failure);
      if (result.status < 400) return skip("the wrong key was accepted, so there is no error body");
      let body: unknown;
      try {
        body = JSON.parse(result.body);
      } catch {
        return fail("the error body is not JSON", '{"error": {...}}', excerpt(result.body));
      }
      const violation = schemaViolation("openai-error", body);
      return violation ? fail(`not the published error shape: ${violation}`, "openai-error schema", excerpt(result.body)) : pass();
    },
  },
  {
    id: "openai.abort",
    level: "SHOULD",
    clause: "Barge-in: IMS abandons the stream when the user interrupts; the server must stay healthy",
    title: "A client abort mid-stream closes the connection, and the next call still works",
    run: async ({ target, post }) => {
      const body = docChatRequest(target.model ?? DEFAULT_MODEL);
      const controller = new AbortController();
      const noAnswer = setTimeout(() => controller.abort(new Error(`no response within ${target.timeoutMs} ms`)), target.timeoutMs);
      let response: Response;
      try {
        response = await post(body, controller.signal);
      } catch (error) {
        return fail("no response", "a stream", failureOf(error));
      } finally {
        clearTimeout(noAnswer);
      }
      if (!response.body) return fail("no body", "a stream", String(response.status));
      const reader = response.body.getReader();
      // Hang up after the first piece, as IMS does when the caller barges in.
      let waited: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([reader.read(), new Promise((resolve) => (waited = setTimeout(resolve, target.timeoutMs)))]);
      clearTimeout(waited);
      // Nothing is read after the abort: when the whole body has already arrived, Node's fetch
      // can leave that read pending forever, with nothing left to wake it.
      controller.abort();
      const after = await probeStream((signal) => post(body, signal), target.timeoutMs);
      return after.status === 200 && after.doneCount === 1 && after.read?.end === "eof"
        ? pass("the call after the abort completed")
        : fail("the call after an abort did not complete", "200 stream with [DONE]", answered(after));
    },
  },
];

function chunksMatch(probe: StreamProbe, strictness: "strict" | "lenient"): Finding {
  if (!probe.chunks.length) return fail("no chunks", "chat.completion.chunk objects", "none");
  for (const [index, chunk] of probe.chunks.entries()) {
    if ("error" in chunk) return fail(`chunk ${index} is an error event`, "a chunk", excerpt(JSON.stringify(chunk)));
    const violation = schemaViolation("openai-chat-chunk", chunk, strictness);
    if (violation) return fail(`chunk ${index}: ${violation}`, "openai-chat-chunk schema", excerpt(JSON.stringify(chunk)));
  }
  return pass(`${probe.chunks.length} chunks`);
}
