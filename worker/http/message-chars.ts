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
  if (Array.isArray(toolCalls)) for (const call of toolCalls as unknown[]) chars += textOf(isObject(call) ? call.function : undefined, "arguments");
  return chars;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

const textOf = (value: unknown, key: string) => {
  const text = isObject(value) ? value[key] : undefined;
  return typeof text === "string" ? text.length : 0;
};
