import type { ChatMessage } from "../../contracts/openai/chat-request.ts";

/** A message's content as plain text, for models that take no parts: text parts joined, images left out. */
export const plainText = (content: ChatMessage["content"]): string =>
  typeof content === "string" ? content : (content ?? []).flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
