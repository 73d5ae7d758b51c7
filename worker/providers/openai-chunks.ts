// Reading an OpenAI-compatible stream: each event parsed and read field by field into deltas.
// The Workers AI reader shares the chunk reader and the usage reading, since newer Workers AI
// models stream OpenAI-style chunks too.
import { FINISH_REASONS, type FinishReason } from "../../contracts/openai/finish-reason.ts";
import { ApiError } from "../http/api-error.ts";
import { isRecord } from "../is-record.ts";
import type { EventReader } from "../sse/upstream-events.ts";
import { LeadingThink } from "./leading-think.ts";
import type { Delta } from "./provider.ts";
import { reportedError } from "./reported-error.ts";
import { ToolCallSlots } from "./tool-call-slots.ts";

/** No context window holds more tokens; below it, a client adds the two counts exactly. */
const MAX_TOKEN_COUNT = 2 ** 31;
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) < MAX_TOKEN_COUNT;

/** The usage delta of an event's `usage` object (OpenAI and Workers AI name the counts alike), if it has both counts. */
export const usageDelta = (usage: unknown): Delta | undefined =>
  isRecord(usage) && isCount(usage.prompt_tokens) && isCount(usage.completion_tokens)
    ? { kind: "usage", promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
    : undefined;

const finishReasons: ReadonlySet<string> = new Set(FINISH_REASONS);
const isFinishReason = (reason: string): reason is FinishReason => finishReasons.has(reason);

/**
 * Reads the parsed OpenAI chat.completion.chunks of one reply into deltas. Checked field by
 * field rather than with a schema: this runs once per upstream event, and upstreams add fields
 * freely; a plain text delta is recognised first and costs no more than it must. What the
 * model meant to say is spoken, however the server put it: `content` as a string or an array
 * of parts, `refusal`; its thinking is not (`reasoning_content` is not read, a leading
 * <think> block is left out). An error the server reports (`{"error": ...}`, finish_reason
 * "error") fails the reply; an unknown finish_reason (some servers say "eos" or "end_turn")
 * is a normal stop. Usage is read where providers put it: on its own chunk, on the finish
 * chunk, on every chunk, or in Groq's `x_groq`.
 */
export class OpenaiChunkReader {
  readonly #think = new LeadingThink();
  #calls: ToolCallSlots | undefined;

  read(chunk: Record<string, unknown>, batch: Delta[]): void {
    // OpenAI, SGLang and OpenRouter send {"error": {...}}; vLLM sends {"object": "error", ...}.
    if (chunk.error != null) throw reportedError(chunk.error, "in-stream error");
    if (chunk.object === "error") throw reportedError(chunk, "in-stream error");
    const { choices } = chunk;
    const choice = Array.isArray(choices) ? choices[0] : undefined;
    if (isRecord(choice)) {
      const { delta } = choice;
      if (isRecord(delta)) {
        const { content } = delta;
        if (typeof content === "string") {
          if (content !== "") this.#think.text(content, batch);
        } else if (Array.isArray(content)) this.#parts(content, batch);
        if (typeof delta.refusal === "string" && delta.refusal !== "") this.#think.text(delta.refusal, batch);
        if (Array.isArray(delta.tool_calls)) (this.#calls ??= new ToolCallSlots()).read(delta.tool_calls, batch);
      }
      const reason = choice.finish_reason;
      if (typeof reason === "string") {
        if (reason === "error") throw reportedError(chunk, 'finish_reason "error"');
        this.#think.end(batch);
        batch.push({ kind: "finish", reason: isFinishReason(reason) ? reason : "stop" });
      }
    }
    const usage = usageDelta(chunk.usage ?? (isRecord(chunk.x_groq) ? chunk.x_groq.usage : undefined));
    if (usage) batch.push(usage);
  }

  /** At [DONE], which some servers send without a finish_reason: text held as a possible <think> is spoken. */
  end(batch: Delta[]): void {
    this.#think.end(batch);
  }

  /** Content as an array of parts (Mistral's, some proxies'): its text parts; thinking parts are left out. */
  #parts(parts: readonly unknown[], batch: Delta[]) {
    for (const part of parts) {
      if (isRecord(part) && part.type === "text" && typeof part.text === "string" && part.text !== "") this.#think.text(part.text, batch);
    }
  }
}

const notJson = (length: number) =>
  new ApiError("upstream_error", "The model sent an event that is not JSON.", { detail: `non-JSON data line (${length} chars)` });

/** Reads the events of one OpenAI-compatible stream (vLLM, SGLang, Ollama, DashScope compatible mode, OpenAI) into deltas. */
export class OpenaiChunkDeltas implements EventReader {
  readonly #chunks = new OpenaiChunkReader();

  read(data: string, batch: Delta[]): void {
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw notJson(data.length);
    }
    if (!isRecord(chunk)) throw notJson(data.length);
    this.#chunks.read(chunk, batch);
  }

  end(batch: Delta[]): void {
    this.#chunks.end(batch);
  }
}
