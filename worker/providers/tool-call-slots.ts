import { ApiError } from "../http/api-error.ts";
import { isRecord } from "../is-record.ts";
import type { Delta } from "./provider.ts";

/** More calls than any model makes in one turn; the bound keeps a hostile index from sizing work or memory. */
const MAX_TOOL_CALLS = 64;

interface Slot {
  /** The upstream's index for the call (or its position, for servers that send none). */
  key: unknown;
  named: boolean;
  /** The call's extra_content as last passed on (JSON), so a server that repeats it is not echoed twice. */
  extra: string | undefined;
}

/** Arguments as the JSON string the contract promises: some servers send the object itself. */
const argumentsOf = (value: unknown): string | undefined =>
  typeof value === "string" ? (value === "" ? undefined : value) : isRecord(value) ? JSON.stringify(value) : undefined;

/**
 * Re-frames tool-call deltas into the strict chunk contract, whatever the provider's quirks:
 * calls are numbered 0, 1, 2... in the order they appear (an upstream index of 1e300 or 1.5
 * never reaches the caller, nor sizes an array); the first delta of a call carries its id
 * (one is made when the server sent none or "") and its name; a name or id repeated on later
 * chunks is dropped, so no client appends it twice; empty and null fields are left out, and a
 * delta left with nothing to say (DashScope's closing `{"id": "", "function": {"name": null}}`)
 * is not sent at all. A call's `extra_content` (Gemini's thought_signature, which Gemini 3
 * refuses the next turn without) is passed on as the server sent it, once per value.
 */
export class ToolCallSlots {
  readonly #slots: Slot[] = [];

  read(calls: readonly unknown[], batch: Delta[]): void {
    for (let position = 0; position < calls.length; position++) {
      const call = calls[position];
      if (!isRecord(call)) continue;
      const fn = isRecord(call.function) ? call.function : undefined;
      const name = typeof fn?.name === "string" && fn.name !== "" ? fn.name : undefined;
      const args = argumentsOf(fn?.arguments);
      const extraContent = isRecord(call.extra_content) ? call.extra_content : undefined;
      const key = call.index ?? position;
      let index = this.#slots.findIndex((slot) => slot.key === key);
      let id: string | undefined;
      if (index < 0) {
        if (this.#slots.length === MAX_TOOL_CALLS) {
          throw new ApiError("upstream_error", `The model sent more than ${MAX_TOOL_CALLS} tool calls.`, { detail: "tool call count over MAX_TOOL_CALLS" });
        }
        index = this.#slots.push({ key, named: false, extra: undefined }) - 1;
        id = typeof call.id === "string" && call.id !== "" ? call.id : `call_${crypto.randomUUID()}`;
      }
      const slot = this.#slots[index]!;
      const newName = slot.named ? undefined : name;
      if (newName !== undefined) slot.named = true;
      const extra = extraContent && JSON.stringify(extraContent);
      const newExtra = extra !== undefined && extra !== slot.extra ? extraContent : undefined;
      if (newExtra) slot.extra = extra;
      if (id === undefined && newName === undefined && args === undefined && newExtra === undefined) continue;
      batch.push({
        kind: "tool_call",
        index,
        ...(id !== undefined && { id }),
        ...(newName !== undefined && { name: newName }),
        ...(args !== undefined && { arguments: args }),
        ...(newExtra !== undefined && { extraContent: newExtra }),
      });
    }
  }
}
