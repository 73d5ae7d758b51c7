import type * as z from "zod/mini";
import { ChatRequest } from "./openai/chat-request.ts";
import { ChatChunk } from "./openai/chat-chunk.ts";
import { ChatCompletion } from "./openai/chat-completion.ts";
import { OpenAIErrorBody } from "./openai/error-body.ts";
import { ExtendDataField, FormRequest, MessageField } from "./alibaba/form-request.ts";
import { TextResponse } from "./alibaba/text-response.ts";
import { AlibabaErrorBody } from "./alibaba/error-body.ts";

import { CONTRACT_VERSION } from "./version.ts";

export { CONTRACT_VERSION };

export interface PublishedSchema {
  /** File name under contracts/json-schema/ and path under /schemas/, without .json. */
  name: string;
  schema: z.ZodMiniType;
  /** Requests are exported in input mode (what a sender may send), responses in output mode. */
  io: "input" | "output";
}

export const publishedSchemas: readonly PublishedSchema[] = [
  { name: "openai-chat-request", schema: ChatRequest, io: "input" },
  { name: "openai-chat-chunk", schema: ChatChunk, io: "output" },
  { name: "openai-chat-completion", schema: ChatCompletion, io: "output" },
  { name: "openai-error", schema: OpenAIErrorBody, io: "output" },
  { name: "alibaba-form-request", schema: FormRequest, io: "input" },
  { name: "alibaba-message", schema: MessageField, io: "input" },
  { name: "alibaba-extend-data", schema: ExtendDataField, io: "input" },
  { name: "alibaba-text-response", schema: TextResponse, io: "output" },
  { name: "alibaba-error", schema: AlibabaErrorBody, io: "output" },
];

export const schemaId = (name: string) => `urn:ims-llm-edge:schema:${name}:v${CONTRACT_VERSION.split(".")[0]}`;
