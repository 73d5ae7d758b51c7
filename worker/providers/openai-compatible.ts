import { ApiError } from "../http/api-error.ts";
import { chatRequestFields } from "../http/request-checks.ts";
import { UpstreamEvents } from "../sse/upstream-events.ts";
import { OpenaiChunkDeltas } from "./openai-chunks.ts";
import type { ChatOptions, ModelCall, Provider } from "./provider.ts";
import { upstreamFetch, upstreamUrl } from "./upstream-http.ts";
import { isJsonAnswer, wholeReplyEvents } from "./whole-reply-events.ts";

const encoder = new TextEncoder();

/**
 * The OpenAI options the contract knows. Only these are forwarded: IMS adds fields of its own
 * (extendData and whatever comes next), and OpenAI rejects parameters it does not know.
 */
const forwardedOptions: ReadonlySet<string> = new Set(chatRequestFields.filter((key) => !["model", "messages", "stream", "extendData"].includes(key)));

// JSON null means "not set" (the Python SDK sends it for every argument given as None): not forwarded.
function requestBody(model: string, messages: unknown, options: ChatOptions, extraBody: ModelCall["extraBody"]): string {
  const body: Record<string, unknown> = { model, messages, stream: true };
  for (const [key, value] of Object.entries(options)) if (forwardedOptions.has(key) && value != null) body[key] = value;
  // The deployment's provider-specific fields; config refuses any that would replace model, messages or stream.
  return JSON.stringify(extraBody ? { ...body, ...extraBody } : body);
}

/**
 * Any OpenAI-compatible server at UPSTREAM_BASE_URL (vLLM, SGLang, Ollama, DashScope
 * compatible mode, OpenAI): the conversation is forwarded as it came, always streamed, and the
 * upstream's chunks are read into deltas one network read at a time (a JSON answer, whole
 * reply or error, is read as the one event it stands for).
 */
export const openaiCompatible: Provider = ({ messages, model, options, extraBody, signal }, config) =>
  new UpstreamEvents(
    async () => {
      const url = `${upstreamUrl(config).replace(/\/+$/, "")}/chat/completions`;
      const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream" };
      if (config.upstream.apiKey) headers.authorization = `Bearer ${config.upstream.apiKey}`;
      // As bytes, so the text dies once encoded: a string body stays on the heap beside the parsed
      // request until the upstream answers, and with many large requests the heap held two copies of each.
      const response = await upstreamFetch(url, { method: "POST", headers, body: encoder.encode(requestBody(model, messages, options, extraBody)) }, signal);
      if (!response.body) throw new ApiError("upstream_error", "The model server sent an empty reply.", { detail: "no response body" });
      return isJsonAnswer(response) ? wholeReplyEvents(response, config.stream.maxEventBytes) : response.body;
    },
    new OpenaiChunkDeltas(),
    config.stream.maxEventBytes,
  );
