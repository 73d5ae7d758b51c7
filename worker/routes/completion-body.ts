import type { ChatCompletion } from "../../contracts/openai/chat-completion.ts";
import type { Reply } from "../stream/collect-reply.ts";

/** The `stream: false` answer: the collected reply as one chat.completion object. */
export const completionBody = (id: string, created: number, model: string, reply: Reply): ChatCompletion => ({
  id,
  object: "chat.completion",
  created,
  model,
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: reply.text === "" && reply.toolCalls.length ? null : reply.text,
        ...(reply.toolCalls.length > 0 && { tool_calls: reply.toolCalls }),
      },
      finish_reason: reply.finishReason,
    },
  ],
  ...(reply.usage && { usage: reply.usage }),
});
