import type { ChatMessage, OtherMessage } from "../../contracts/openai/chat-request.ts";
import { KNOWN_ROLES } from "../../contracts/openai/known-roles.ts";

/**
 * The conversation in the roles every upstream knows. A role outside them (IMS's LlmHistory
 * allows `plugin`), a tool result that names no call (no OpenAI server can match it to one)
 * and a function result without its function's name are sent as user turns with their content: the model still reads what they said, and
 * no upstream refuses the call for it. A conversation with neither is returned as it came.
 */
export function knownTurns(messages: readonly (ChatMessage | OtherMessage)[]): readonly ChatMessage[] {
  if (messages.every(isKnown)) return messages;
  return messages.map((message) => (isKnown(message) ? message : { role: "user", content: message.content ?? "" }));
}

/** Known, and complete: a tool result names its call, a function result its function. */
const isKnown = (message: ChatMessage | OtherMessage): message is ChatMessage =>
  KNOWN_ROLES.has(message.role) &&
  (message.role === "tool" ? typeof message.tool_call_id === "string" : message.role !== "function" || typeof message.name === "string");
