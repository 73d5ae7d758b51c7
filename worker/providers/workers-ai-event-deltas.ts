import { ApiError } from "../http/api-error.ts";
import type { EventReader } from "../sse/upstream-events.ts";
import { isRecord } from "../is-record.ts";
import type { Delta } from "./provider.ts";
import { OpenaiChunkReader, usageDelta } from "./openai-chunks.ts";

/**
 * The reader of one Workers AI stream: `{"response": "<text>"}` events, with `usage` on the
 * last one before [DONE]. Newer models on Workers AI stream OpenAI chunks instead; those are
 * read as such, by one reader for the stream. Workers AI sends no finish_reason in its own
 * format, so [DONE] marks the end.
 */
export class WorkersAiEventDeltas implements EventReader {
  #chunks: OpenaiChunkReader | undefined;

  read(data: string, batch: Delta[]): void {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      throw new ApiError("upstream_error", "Workers AI sent an event that is not JSON.", { detail: `non-JSON data line (${data.length} chars)` });
    }
    if (!isRecord(event)) throw new ApiError("upstream_error", "Workers AI sent an event that is not an object.", { detail: typeof event });
    if ("choices" in event) return (this.#chunks ??= new OpenaiChunkReader()).read(event, batch);
    if (typeof event.response === "string" && event.response !== "") batch.push({ kind: "text", text: event.response });
    const usage = usageDelta(event.usage);
    if (usage) batch.push(usage);
  }

  end(batch: Delta[]): void {
    this.#chunks?.end(batch);
  }
}
