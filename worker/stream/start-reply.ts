import type { Config } from "../config.ts";
import type { Delta, ModelCall, Provider } from "../providers/provider.ts";

export interface StartedReply {
  /** The first batch the model produced (empty if it produced nothing). */
  first: readonly Delta[];
  /** The rest of the reply. */
  rest: AsyncIterator<readonly Delta[]>;
  /** Stops the model: aborts its upstream call. */
  stop: (reason?: unknown) => void;
}

/**
 * Calls the model and waits for its first batch before anything is sent to the caller, so
 * a model that fails before its first token is answered with an HTTP error the caller can
 * act on, not a 200 stream that breaks. The caller's own abort signal stops the model too.
 */
export async function startReply(
  provider: Provider,
  call: Omit<ModelCall, "signal">,
  config: Config,
  callerSignal: AbortSignal | undefined,
): Promise<StartedReply> {
  const controller = new AbortController();
  const stop = (reason?: unknown) => controller.abort(reason);
  callerSignal?.addEventListener("abort", () => stop(callerSignal.reason), { once: true });
  const rest = provider({ ...call, signal: controller.signal }, config)[Symbol.asyncIterator]();
  try {
    const first = await rest.next();
    return { first: first.done ? [] : first.value, rest, stop };
  } catch (error) {
    stop(error);
    throw error;
  }
}
