import { isRecord } from "./is-record.ts";
import type { Delta } from "./provider.ts";

/** No context window holds more tokens; below it, a client adds the two counts exactly. */
const MAX_TOKEN_COUNT = 2 ** 31;
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) < MAX_TOKEN_COUNT;

/** The usage delta of an event's `usage` object (OpenAI and Workers AI name the counts alike), if it has both counts. */
export const usageDelta = (usage: unknown): Delta | undefined =>
  isRecord(usage) && isCount(usage.prompt_tokens) && isCount(usage.completion_tokens)
    ? { kind: "usage", promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
    : undefined;
