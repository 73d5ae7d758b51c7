import * as z from "zod/mini";
import { doc, docs } from "../docs.ts";
import { FINISH_REASONS } from "./finish-reason.ts";

// Strict: exactly what the worker sends, so a partner's server is held to what strict
// OpenAI clients (openai-python, openai-node, go-openai) are known to parse.

export const FinishReason = z.enum(FINISH_REASONS);
export type FinishReason = z.infer<typeof FinishReason>;

/** A model server's own data for one tool call, which it expects back with the call in the next turn. */
export const ExtraContent = doc(
  z.record(z.string(), z.unknown()),
  docs &&
    "The model server's own data for this call, passed on as it sent it: Gemini's extra_content.google.thought_signature, without which Gemini 3 refuses the next turn. Send it back with the call.",
);

export const ToolCallDelta = z.strictObject({
  index: doc(z.int(), docs && "Position of this call among the reply's tool calls; IMS matches hang-up by function name."),
  id: z.optional(z.string()),
  type: z.optional(z.literal("function")),
  function: z.optional(z.strictObject({ name: z.optional(z.string()), arguments: z.optional(z.string()) })),
  extra_content: z.optional(ExtraContent),
});

export const Usage = z.strictObject({
  prompt_tokens: z.int(),
  completion_tokens: z.int(),
  total_tokens: z.int(),
});

export const ChatChunk = doc(
  z.strictObject({
    id: doc(z.string(), docs && "The same on every chunk of one reply."),
    object: z.literal("chat.completion.chunk"),
    created: doc(z.int(), docs && "Unix seconds, the same on every chunk of one reply."),
    model: z.string(),
    choices: doc(
      z.array(
        z.strictObject({
          index: z.int(),
          delta: z.strictObject({
            role: z.optional(z.literal("assistant")),
            content: z.optional(z.nullable(z.string())),
            tool_calls: z.optional(z.array(ToolCallDelta)),
          }),
          finish_reason: z.nullable(FinishReason),
        }),
      ),
      docs && "One choice; empty only on a usage chunk the request asked for with stream_options.include_usage.",
    ),
    usage: z.optional(z.nullable(Usage)),
  }),
  docs && {
    title: "IMS Spec 1 stream chunk",
    description:
      "One server-sent event of the reply stream (data: <chunk>). The stream opens with delta {role: assistant, content: ''}, carries content or tool_calls deltas, ends with a chunk whose finish_reason is set, then data: [DONE].",
  },
);

export type ChatChunk = z.infer<typeof ChatChunk>;
export type ToolCallDelta = z.infer<typeof ToolCallDelta>;
