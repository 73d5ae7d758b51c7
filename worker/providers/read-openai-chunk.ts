import { FinishReason } from "../../contracts/openai/finish-reason.ts";
import { isRecord } from "../is-record.ts";
import { LeadingThink } from "./leading-think.ts";
import type { Delta } from "./provider.ts";
import { reportedError } from "./reported-error.ts";
import { ToolCallSlots } from "./tool-call-slots.ts";
import { usageDelta } from "./usage-delta.ts";

const finishReasons: ReadonlySet<string> = new Set(FinishReason.options);
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
  private readonly think = new LeadingThink();
  private calls: ToolCallSlots | undefined;

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
          if (content !== "") this.think.text(content, batch);
        } else if (Array.isArray(content)) this.parts(content, batch);
        if (typeof delta.refusal === "string" && delta.refusal !== "") this.think.text(delta.refusal, batch);
        if (Array.isArray(delta.tool_calls)) (this.calls ??= new ToolCallSlots()).read(delta.tool_calls, batch);
      }
      const reason = choice.finish_reason;
      if (typeof reason === "string") {
        if (reason === "error") throw reportedError(chunk, 'finish_reason "error"');
        this.think.end(batch);
        batch.push({ kind: "finish", reason: isFinishReason(reason) ? reason : "stop" });
      }
    }
    const usage = usageDelta(chunk.usage ?? (isRecord(chunk.x_groq) ? chunk.x_groq.usage : undefined));
    if (usage) batch.push(usage);
  }

  /** Content as an array of parts (Mistral's, some proxies'): its text parts; thinking parts are left out. */
  private parts(parts: readonly unknown[], batch: Delta[]) {
    for (const part of parts) {
      if (isRecord(part) && part.type === "text" && typeof part.text === "string" && part.text !== "") this.think.text(part.text, batch);
    }
  }
}
