import type { ChatMessage } from "../../contracts/openai/chat-request.ts";
import { ApiError, messageOf } from "../http/api-error.ts";
import { NEEDS_AI_BINDING } from "../readiness.ts";
import { UpstreamEvents } from "../sse/upstream-events.ts";
import { plainText } from "./plain-text.ts";
import type { ChatOptions, Provider } from "./provider.ts";
import { WorkersAiEventDeltas } from "./workers-ai-event-deltas.ts";

/** Workers AI text models take plain-text turns. */
const aiMessages = (messages: readonly ChatMessage[]) =>
  messages.map((message) => ({
    role: message.role === "developer" ? "system" : message.role,
    content: plainText(message.content),
    ...(message.role === "tool" && { tool_call_id: message.tool_call_id }),
  }));

/** The sampling options Workers AI text models accept under the same names; null is not set. */
const aiOptions = ({ max_tokens, max_completion_tokens, temperature, top_p, seed, frequency_penalty, presence_penalty }: ChatOptions) => ({
  ...((max_tokens ?? max_completion_tokens) != null && { max_tokens: max_tokens ?? max_completion_tokens }),
  ...(temperature != null && { temperature }),
  ...(top_p != null && { top_p }),
  ...(seed != null && { seed }),
  ...(frequency_penalty != null && { frequency_penalty }),
  ...(presence_penalty != null && { presence_penalty }),
});

/**
 * Cloudflare Workers AI through the AI binding, model WORKERS_AI_MODEL. The binding returns
 * its own event stream, read like any other upstream; the abort signal is passed to it so a
 * caller hanging up stops the generation.
 */
export const workersAi: Provider = ({ messages, options, extraBody, signal }, config) =>
  new UpstreamEvents(
    async () => {
      const { binding, model } = config.workersAi;
      if (!binding) throw new ApiError("misconfigured", NEEDS_AI_BINDING, { detail: "env.AI is not bound" });
      let stream: unknown;
      try {
        stream = await binding.run(model, { ...aiOptions(options), ...extraBody, messages: aiMessages(messages), stream: true }, { signal });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw new ApiError("upstream_unavailable", "Workers AI could not run the model.", { detail: `AI.run failed: ${messageOf(error)}` });
      }
      if (!(stream instanceof ReadableStream)) throw new ApiError("upstream_error", "Workers AI did not stream its reply.", { detail: `AI.run returned ${typeof stream}` });
      return stream as ReadableStream<Uint8Array>;
    },
    new WorkersAiEventDeltas(),
    config.stream.maxEventBytes,
  );
