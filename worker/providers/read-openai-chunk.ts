import { FinishReason } from "../../contracts/openai/chat-chunk.ts";
import { ApiError } from "../http/api-error.ts";
import { isRecord } from "./is-record.ts";
import { upstreamErrorKind } from "./upstream-error-kind.ts";
import type { Delta } from "./provider.ts";
import { usageDelta } from "./usage-delta.ts";

/** No model calls this many tools at once; an index past it would size the collected reply's array. */
const MAX_TOOL_CALL_INDEX = 127;
const isCallIndex = (index: unknown): index is number => Number.isInteger(index) && (index as number) >= 0 && (index as number) <= MAX_TOOL_CALL_INDEX;

const finishReasons: ReadonlySet<string> = new Set(FinishReason.options);
const isFinishReason = (reason: string): reason is FinishReason => finishReasons.has(reason);


/**
 * Reads one parsed OpenAI chat.completion.chunk into deltas. Checked field by field rather
 * than with a schema: this runs once per upstream event, and upstreams add fields freely.
 * `reasoning_content` is the model thinking aloud and is not spoken, so it is left out; an
 * unknown finish_reason (some servers say "eos" or "end_turn") is a normal stop.
 */
export function readOpenaiChunk(chunk: Record<string, unknown>, batch: Delta[]): void {
  if (chunk.error !== undefined && chunk.error !== null) {
    throw new ApiError("upstream_error", "The model server reported an error mid-reply.", { detail: `in-stream error ${upstreamErrorKind(chunk.error)}` });
  }
  const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  if (isRecord(choice) && isRecord(choice.delta)) {
    const { content, tool_calls: calls } = choice.delta;
    if (typeof content === "string" && content !== "") batch.push({ kind: "text", text: content });
    if (Array.isArray(calls)) {
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i];
        if (!isRecord(call)) continue;
        const fn = isRecord(call.function) ? call.function : {};
        batch.push({
          kind: "tool_call",
          // Some servers (older Ollama) omit index on calls sent whole; their position stands in, as for one out of bounds.
          index: isCallIndex(call.index) ? call.index : i,
          ...(typeof call.id === "string" && { id: call.id }),
          ...(typeof fn.name === "string" && { name: fn.name }),
          ...(typeof fn.arguments === "string" && { arguments: fn.arguments }),
        });
      }
    }
  }
  if (isRecord(choice) && typeof choice.finish_reason === "string") {
    const reason = choice.finish_reason;
    batch.push({ kind: "finish", reason: isFinishReason(reason) ? reason : "stop" });
  }
  const usage = usageDelta(chunk.usage);
  if (usage) batch.push(usage);
}
