import type { ChatMessage, ChatRequest } from "../../contracts/openai/chat-request.ts";
import type { FinishReason } from "../../contracts/openai/chat-chunk.ts";
import type { Config } from "../config.ts";

/** One piece of a model's reply, independent of any wire format. */
export type Delta =
  | { kind: "text"; text: string }
  /** `index` numbers the reply's calls 0, 1, 2... in order of appearance; the first delta of a call carries its id and name. */
  | {
      kind: "tool_call";
      index: number;
      id?: string;
      name?: string;
      arguments?: string;
      /** The server's own data for the call (Gemini's thought_signature), passed on as it came, for the caller to send back with the call. */
      extraContent?: Readonly<Record<string, unknown>>;
    }
  | { kind: "finish"; reason: FinishReason }
  | { kind: "usage"; promptTokens: number; completionTokens: number };

/** The OpenAI options a caller may set; providers forward the ones their model understands. */
export type ChatOptions = {
  // Named fields only: the contract's index signature (unknown fields pass validation) would hide their types.
  [K in keyof ChatRequest as string extends K ? never : K extends "model" | "messages" | "stream" | "extendData" ? never : K]: ChatRequest[K];
};

export interface ModelCall {
  messages: readonly ChatMessage[];
  model: string;
  options: ChatOptions;
  /** IMS's context for the call; only a Spec 2 upstream is sent it (OpenAI servers reject unknown fields). */
  ims?: { instanceId?: string | undefined; userData?: string | undefined };
  /** Provider-specific fields merged into the upstream request body (UPSTREAM_EXTRA_BODY). */
  extraBody?: Readonly<Record<string, unknown>> | undefined;
  /** The caller hears only the reply's text (Spec 2): a tool call could not reach it, so none is offered on its behalf. */
  textOnly?: boolean;
  /** Aborted when the caller goes away (IMS barge-in) or a timeout fires: stop generating at once. */
  signal: AbortSignal;
}

/**
 * Said by a provider that picks among targets (a MODELS route), once one has answered: that
 * target's settings, which the rest of the reply runs under.
 */
export interface ChosenTarget {
  readonly chosen: Config | undefined;
}

/**
 * A model behind both routes. It yields the reply as batches of deltas, one batch per read
 * from its upstream, so the Spec 1 route can write each batch to the caller in one write
 * and the Spec 2 route can collect them. Failures are thrown as ApiError.
 */
export type Provider = (call: ModelCall, config: Config) => AsyncIterable<readonly Delta[]>;
