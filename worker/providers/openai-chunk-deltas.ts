import { ApiError } from "../http/api-error.ts";
import { isRecord } from "./is-record.ts";
import type { Delta } from "./provider.ts";
import { readOpenaiChunk } from "./read-openai-chunk.ts";

const notJson = (length: number) =>
  new ApiError("upstream_error", "The model sent an event that is not JSON.", { detail: `non-JSON data line (${length} chars)` });

/** Reads one event of an OpenAI-compatible stream (vLLM, SGLang, Ollama, DashScope compatible mode, OpenAI) into deltas. */
export function openaiChunkDeltas(data: string, batch: Delta[]): void {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    throw notJson(data.length);
  }
  if (!isRecord(chunk)) throw notJson(data.length);
  readOpenaiChunk(chunk, batch);
}
