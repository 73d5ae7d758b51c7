import type { Config } from "../config.ts";
import { ApiError } from "./api-error.ts";
import { isRecord } from "../is-record.ts";

interface MessageLike {
  content?: unknown;
  tool_calls?: unknown;
}

/**
 * The text characters of one validated message: string content, text parts and tool-call
 * arguments. Image parts are left out: their data URLs are bounded by MAX_BODY_BYTES, and
 * counting them here would force a text limit large enough to be no limit. Types are checked
 * as the walk goes, because loose schemas let any extra field through unvalidated (a Spec 2
 * record may carry any `tool_calls` value at all).
 */
export function messageChars(message: MessageLike): number {
  const { content, tool_calls: toolCalls } = message;
  let chars = typeof content === "string" ? content.length : 0;
  if (Array.isArray(content)) for (const part of content as unknown[]) chars += textOf(part, "text");
  if (Array.isArray(toolCalls)) for (const call of toolCalls as unknown[]) chars += textOf(isRecord(call) ? call.function : undefined, "arguments");
  return chars;
}

const textOf = (value: unknown, key: string) => {
  const text = isRecord(value) ? value[key] : undefined;
  return typeof text === "string" ? text.length : 0;
};

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
