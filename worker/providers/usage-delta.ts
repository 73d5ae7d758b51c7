import { isRecord } from "./is-record.ts";
import type { Delta } from "./provider.ts";

/** The usage delta of an event's `usage` object (OpenAI and Workers AI name the counts alike), if it has both counts. */
export const usageDelta = (usage: unknown): Delta | undefined =>
  isRecord(usage) && typeof usage.prompt_tokens === "number" && typeof usage.completion_tokens === "number"
    ? { kind: "usage", promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
    : undefined;
