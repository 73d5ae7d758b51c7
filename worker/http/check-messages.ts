import type { Config } from "../config.ts";
import { ApiError } from "./api-error.ts";
import { messageChars } from "./message-chars.ts";

/**
 * Holds a validated conversation to MAX_MESSAGES and MAX_MESSAGE_CHARS, naming the field
 * at fault as the route calls it (`messages` for Spec 1, `Message` for Spec 2).
 */
export function checkMessages(messages: readonly Parameters<typeof messageChars>[0][], field: string, limits: Config["limits"]): void {
  if (messages.length > limits.maxMessages) {
    throw new ApiError("limit_exceeded", `${field} has ${messages.length} records; at most ${limits.maxMessages} are accepted (MAX_MESSAGES).`, { param: field });
  }
  messages.forEach((message, index) => {
    const chars = messageChars(message);
    if (chars > limits.maxMessageChars) {
      throw new ApiError("limit_exceeded", `${field}.${index} has ${chars} characters of text; at most ${limits.maxMessageChars} are accepted (MAX_MESSAGE_CHARS).`, {
        param: `${field}.${index}`,
      });
    }
  });
}
