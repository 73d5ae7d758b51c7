import type { FinishReason } from "../../contracts/openai/chat-chunk.ts";
import { ApiError } from "../http/api-error.ts";
import type { StartedReply } from "./start-reply.ts";

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  /** The server's own data for the call, as a streaming client's accumulator keeps it: the last one sent. */
  extra_content?: Readonly<Record<string, unknown>>;
}

/** Token counts as OpenAI's chunks and completions carry them. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface Reply {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage | undefined;
}

/** A usage delta in OpenAI's terms, as both encoders (the stream's chunks and the collected reply) answer with it. */
export const openaiUsage = ({ promptTokens, completionTokens }: { promptTokens: number; completionTokens: number }): Usage => ({
  prompt_tokens: promptTokens,
  completion_tokens: completionTokens,
  total_tokens: promptTokens + completionTokens,
});

/** The whole reply gathered from the stream: what Spec 2 and `stream: false` answer with. */
export async function collectReply(reply: StartedReply, maxChars: number): Promise<Reply> {
  const parts: string[] = [];
  let length = 0;
  const calls: ToolCall[] = [];
  let finishReason: FinishReason | undefined;
  let usage: Reply["usage"];
  let batch: IteratorResult<StartedReply["first"]> = { done: false, value: reply.first };
  while (!batch.done) {
    for (const delta of batch.value) {
      if (delta.kind === "text") {
        length += delta.text.length;
        if (length > maxChars) {
          const error = new ApiError("upstream_error", `The model's reply exceeded ${maxChars} characters (MAX_REPLY_CHARS).`);
          reply.stop(error);
          throw error;
        }
        parts.push(delta.text);
      } else if (delta.kind === "tool_call") {
        // Providers number calls 0, 1, 2... in order (ToolCallSlots), so this array has no holes;
        // the name is set, not appended, as a streaming client's accumulator sets it.
        const call = (calls[delta.index] ??= { id: "", type: "function", function: { name: "", arguments: "" } });
        if (delta.id) call.id = delta.id;
        if (delta.name) call.function.name = delta.name;
        if (delta.arguments) call.function.arguments += delta.arguments;
        if (delta.extraContent) call.extra_content = delta.extraContent;
      } else if (delta.kind === "finish") {
        finishReason ??= delta.reason;
      } else {
        usage = openaiUsage(delta);
      }
    }
    batch = await reply.rest.next();
  }
  return { text: parts.join(""), toolCalls: calls, finishReason: finishReason ?? (calls.length ? "tool_calls" : "stop"), usage };
}
