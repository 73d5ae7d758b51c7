interface MessageLike {
  content?: string | readonly { type: string; text?: unknown }[] | null | undefined;
  tool_calls?: readonly { function: { arguments: string } }[] | undefined;
}

/**
 * The text characters of one validated message: string content, text parts and tool-call
 * arguments. Image parts are left out: their data URLs are bounded by MAX_BODY_BYTES, and
 * counting them here would force a text limit large enough to be no limit.
 */
export function messageChars(message: MessageLike): number {
  const { content } = message;
  let chars = typeof content === "string" ? content.length : 0;
  if (Array.isArray(content)) for (const part of content) if (typeof part.text === "string") chars += part.text.length;
  for (const call of message.tool_calls ?? []) chars += call.function.arguments.length;
  return chars;
}
