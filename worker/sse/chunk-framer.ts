import type { FinishReason } from "../../contracts/openai/chat-chunk.ts";
import type { Delta } from "../providers/provider.ts";
import type { ApiError } from "../http/api-error.ts";
import { openaiErrorBody } from "../http/error-response.ts";
import { openaiUsage, type Usage } from "../reply/collect-reply.ts";

const DONE = "data: [DONE]\n\n";

/**
 * Turns batches of deltas into Spec 1 server-sent events. Every chunk of a reply shares one
 * prefix (id, created, model), so it is serialised once and each event costs one
 * JSON.stringify of its delta. Keeps the stream's invariants: the role chunk first, one
 * finish chunk, nothing after it but usage, exactly one [DONE].
 */
export class ChunkFramer {
  readonly #head: string;
  readonly #usageHead: string;
  readonly #includeUsage: boolean;
  #started = false;
  #finishReason: FinishReason | undefined;
  #sawToolCall = false;
  #usage: Usage | undefined;

  constructor(id: string, created: number, model: string, includeUsage: boolean) {
    const common = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":`;
    this.#head = `data: ${common}[{"index":0,"delta":`;
    this.#usageHead = `data: ${common}[],"usage":`;
    this.#includeUsage = includeUsage;
  }

  #event(delta: string, finishReason: FinishReason | null = null) {
    return `${this.#head}${delta},"finish_reason":${finishReason === null ? "null" : `"${finishReason}"`}}]}\n\n`;
  }

  /** The events for one batch; "" when the batch carries nothing the caller should see. */
  frame(deltas: readonly Delta[]): string {
    let out = "";
    if (!this.#started) {
      this.#started = true;
      out = this.#event('{"role":"assistant","content":""}');
    }
    for (const delta of deltas) {
      if (delta.kind === "usage") {
        this.#usage = openaiUsage(delta);
      } else if (this.#finishReason !== undefined) {
        // The reply is over; a model that keeps talking after its finish_reason is not heard.
      } else if (delta.kind === "text") {
        if (delta.text) out += this.#event(`{"content":${JSON.stringify(delta.text)}}`);
      } else if (delta.kind === "tool_call") {
        this.#sawToolCall = true;
        // `function` on every delta, `arguments` always a string: strict clients (the AI SDK) require both.
        const wire = {
          index: delta.index,
          ...(delta.id !== undefined && { id: delta.id, type: "function" }),
          function: { ...(delta.name !== undefined && { name: delta.name }), arguments: delta.arguments ?? "" },
          extra_content: delta.extraContent,
        };
        out += this.#event(`{"tool_calls":[${JSON.stringify(wire)}]}`);
      } else {
        this.#finishReason = delta.reason;
        out += this.#event("{}", delta.reason);
      }
    }
    return out;
  }

  /** Closes a reply that ended normally: a finish chunk if the model sent none, usage if asked, [DONE]. */
  end(): string {
    let out = this.frame([]);
    if (this.#finishReason === undefined) {
      this.#finishReason = this.#sawToolCall ? "tool_calls" : "stop";
      out += this.#event("{}", this.#finishReason);
    }
    if (this.#includeUsage && this.#usage) out += `${this.#usageHead}${JSON.stringify(this.#usage)}}\n\n`;
    return out + DONE;
  }

  /**
   * Ends a reply that failed after it began. An error event is the only failure signal
   * OpenAI clients understand mid-stream; no [DONE] follows, so none mistakes it for success.
   */
  fail(error: ApiError): string {
    return `data: ${JSON.stringify(openaiErrorBody(error))}\n\n`;
  }
}
