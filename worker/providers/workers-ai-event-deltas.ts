import { ApiError } from "../http/api-error.ts";
import { isRecord } from "./is-record.ts";
import { readOpenaiChunk } from "./read-openai-chunk.ts";
import type { Delta } from "./provider.ts";
import { usageDelta } from "./usage-delta.ts";

/**
 * Reads one Workers AI stream event: `{"response": "<text>"}`, with `usage` on the last one
 * before [DONE]. Newer models on Workers AI stream OpenAI chunks instead; those are read as
 * such. Workers AI sends no finish_reason in its own format, so [DONE] marks the end.
 */
export function workersAiEventDeltas(data: string, batch: Delta[]): void {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    throw new ApiError("upstream_error", "Workers AI sent an event that is not JSON.", { detail: `non-JSON data line (${data.length} chars)` });
  }
  if (!isRecord(event)) throw new ApiError("upstream_error", "Workers AI sent an event that is not an object.", { detail: typeof event });
  if ("choices" in event) return readOpenaiChunk(event, batch);
  if (typeof event.response === "string" && event.response !== "") batch.push({ kind: "text", text: event.response });
  const usage = usageDelta(event.usage);
  if (usage) batch.push(usage);
}
