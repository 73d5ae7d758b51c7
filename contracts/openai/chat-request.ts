import * as z from "zod/mini";
import { doc, docs } from "../docs.ts";
import { KNOWN_ROLES } from "./known-roles.ts";

// Lenient by design: IMS adds fields over time (extendData grew from three keys to six),
// so every object here is a looseObject and unknown keys pass through untouched; and JSON
// null in an optional field means "not set" (the Python SDK sends null for every None).

const text = (description: string | false) => doc(z.string(), description);

// The `id`s name the parts that recur in the published JSON Schema's $defs.
export const TextPart = doc(
  z.looseObject({
    type: z.literal("text"),
    text: text(docs && "The text of this part."),
  }),
  docs && { id: "TextPart" },
);

export const ImagePart = doc(
  z.looseObject({
    type: z.literal("image_url"),
    image_url: z.looseObject({
      url: text(docs && "An https URL or a data: URL (IMS's multimodal node sends data:image/jpeg;base64,...)."),
      detail: z.optional(z.string()),
    }),
  }),
  docs && { id: "ImagePart" },
);

export const ContentPart = z.discriminatedUnion("type", [TextPart, ImagePart]);

const textContent = doc(z.union([z.string(), z.array(TextPart)]), docs && { id: "TextContent" });
const anyContent = z.union([z.string(), z.array(ContentPart)]);

export const ToolCall = doc(
  z.looseObject({
    id: z.string(),
    type: z.literal("function"),
    function: z.looseObject({
      name: z.string(),
      arguments: text(docs && "JSON-encoded arguments, as the model produced them."),
    }),
  }),
  docs && { id: "ToolCall" },
);

/** An optional field that may also be null, which means the same as absent. */
const optional = <T extends z.ZodMiniType>(schema: T) => z.optional(z.nullable(schema));

const name = optional(z.string());


export const ChatMessage = doc(
  z.discriminatedUnion("role", [
    z.looseObject({ role: z.literal("system"), content: textContent, name }),
    z.looseObject({ role: z.literal("developer"), content: textContent, name }),
    z.looseObject({ role: z.literal("user"), content: anyContent, name }),
    z.looseObject({
      role: z.literal("assistant"),
      content: optional(textContent),
      tool_calls: optional(z.array(ToolCall)),
      name,
    }),
    z.looseObject({
      role: z.literal("tool"),
      content: textContent,
      tool_call_id: optional(text(docs && "The call this answers; without it the result is sent upstream as a user turn.")),
    }),
    z.looseObject({ role: z.literal("function"), content: z.nullable(z.string()), name: z.string() }),
  ]),
  docs && "One conversation record. An interrupted assistant turn may carry the literal marker <ims_agent_interrupted> where the user cut in.",
);

export const OtherMessage = doc(
  z.looseObject({
    role: doc(
      z.string().check(z.refine((role) => !KNOWN_ROLES.has(role), { abort: true })),
      // What the refinement says, in the published schema's words.
      docs && { description: "A role outside the list above (IMS's LlmHistory allows plugin). Its text is sent upstream as a user turn.", not: { enum: [...KNOWN_ROLES] } },
    ),
    content: optional(anyContent),
    name,
  }),
  docs && { id: "OtherMessage" },
);

export const ExtendData = doc(
  z.looseObject({
    instanceId: optional(text(docs && "The AI agent instance.")),
    channelId: optional(text(docs && "The room (channel) of the call.")),
    sentenceId: optional(
      doc(z.union([z.number(), z.string()]), docs && "The same value for every reply to one user question (documented as Int, sent as a string in examples)."),
    ),
    callerNumber: optional(text(docs && "Caller number, phone calls only.")),
    calleeNumber: optional(text(docs && "Callee number, phone calls only.")),
    userData: optional(text(docs && "The JSON string given to StartAIAgentInstance / UpdateAIAgentInstance.")),
  }),
  docs && "IMS context for this request. IMS adds fields over time; unknown ones are allowed.",
);

export const ChatTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string(),
    description: optional(z.string()),
    parameters: optional(z.record(z.string(), z.unknown())),
  }),
});

export const ChatRequest = doc(
  z.looseObject({
    model: text(docs && "The ModelId configured in the IMS console."),
    messages: doc(z.array(z.union([ChatMessage, OtherMessage])).check(z.minLength(1)), docs && "The conversation, oldest first (IMS keeps at most 20 records)."),
    stream: optional(doc(z.boolean(), docs && "IMS always sends true; false returns one chat.completion object.")),
    extendData: optional(ExtendData),
    temperature: optional(z.number()),
    top_p: optional(z.number()),
    max_tokens: optional(z.int()),
    max_completion_tokens: optional(z.int()),
    n: optional(doc(z.literal(1), docs && "Only one choice is produced.")),
    stop: optional(z.union([z.string(), z.array(z.string())])),
    presence_penalty: optional(z.number()),
    frequency_penalty: optional(z.number()),
    seed: optional(z.int()),
    user: optional(z.string()),
    tools: optional(z.array(ChatTool)),
    tool_choice: optional(z.union([z.string(), z.looseObject({ type: z.string() })])),
    parallel_tool_calls: optional(z.boolean()),
    response_format: optional(z.looseObject({ type: z.string() })),
    stream_options: optional(z.looseObject({ include_usage: optional(z.boolean()) })),
  }),
  docs && {
    title: "IMS Spec 1 chat request",
    description:
      "What IMS POSTs to <base_url>/chat/completions for a self-developed model on the OpenAI specification: an OpenAI chat-completions request with an extendData object. Unknown fields are allowed everywhere.",
  },
);

export type ChatRequest = z.infer<typeof ChatRequest>;
export type ChatMessage = z.infer<typeof ChatMessage>;
export type OtherMessage = z.infer<typeof OtherMessage>;
export type ExtendData = z.infer<typeof ExtendData>;
export type ChatTool = z.infer<typeof ChatTool>;
