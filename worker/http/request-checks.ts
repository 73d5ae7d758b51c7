import type { ExtendDataField, FormMessage, FormRequest } from "../../contracts/alibaba/form-request.ts";
import type { ChatRequest } from "../../contracts/openai/chat-request.ts";
import schemas from "./request-schemas.json" with { type: "json" };
import { compileSchema } from "./schema-check.ts";

// The requests the worker accepts, checked with the schemas it publishes (generated from the
// Zod contracts by `npm run schemas`), compiled once per isolate.

export const chatRequestCheck = compileSchema<ChatRequest>(schemas["openai-chat-request"]);
export const formRequestCheck = compileSchema<FormRequest>(schemas["alibaba-form-request"]);
export const messageFieldCheck = compileSchema<FormMessage[]>(schemas["alibaba-message"]);
export const extendDataFieldCheck = compileSchema<ExtendDataField>(schemas["alibaba-extend-data"]);

/** The fields of a chat request the contract names; everything else is IMS's or unknown. */
export const chatRequestFields: readonly string[] = Object.keys(schemas["openai-chat-request"].properties);
