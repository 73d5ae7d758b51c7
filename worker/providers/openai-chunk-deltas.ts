import { ApiError } from "../http/api-error.ts";
import type { EventReader } from "../stream/upstream-events.ts";
import { isRecord } from "../is-record.ts";
import type { Delta } from "./provider.ts";
import { OpenaiChunkReader } from "./read-openai-chunk.ts";

const notJson = (length: number) =>
  new ApiError("upstream_error", "The model sent an event that is not JSON.", { detail: `non-JSON data line (${length} chars)` });

/** Reads the events of one OpenAI-compatible stream (vLLM, SGLang, Ollama, DashScope compatible mode, OpenAI) into deltas. */
export class OpenaiChunkDeltas implements EventReader {
  private readonly chunks = new OpenaiChunkReader();

  read(data: string, batch: Delta[]): void {
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw notJson(data.length);
    }
    if (!isRecord(chunk)) throw notJson(data.length);
    this.chunks.read(chunk, batch);
  }
}
