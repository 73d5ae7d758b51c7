import * as z from "zod/mini";
import { doc, docs } from "../docs.ts";
import { ExtraContent, FinishReason, Usage } from "./chat-chunk.ts";

export const ChatCompletion = doc(
  z.strictObject({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.int(),
    model: z.string(),
    choices: z.array(
      z.strictObject({
        index: z.int(),
        message: z.strictObject({
          role: z.literal("assistant"),
          content: z.nullable(z.string()),
          tool_calls: z.optional(
            z.array(
              z.strictObject({
                id: z.string(),
                type: z.literal("function"),
                function: z.strictObject({ name: z.string(), arguments: z.string() }),
                extra_content: z.optional(ExtraContent),
              }),
            ),
          ),
        }),
        finish_reason: FinishReason,
      }),
    ),
    usage: z.optional(Usage),
  }),
  docs && {
    title: "Non-streaming chat completion",
    description: "The reply to a request with stream: false. IMS always streams; this form is for testing and other clients.",
  },
);

export type ChatCompletion = z.infer<typeof ChatCompletion>;
