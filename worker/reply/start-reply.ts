import type { Config } from "../config.ts";
import type { Delta, ModelCall, Provider } from "../providers/provider.ts";
import { ReplyGuard } from "./reply-guard.ts";
import type { RequestLog } from "../request-log.ts";

export interface StartedReply {
  /** The first batch the model produced (empty if it produced nothing). */
  first: readonly Delta[];
  /** The rest of the reply, under the same timeouts; `exhausted` once its next read ends it. */
  rest: AsyncIterator<readonly Delta[]> & { readonly exhausted: boolean };
  /** Stops the model: aborts its upstream call. An ApiError reason marks the reply failed. */
  stop: (reason?: unknown) => void;
}

/**
 * Calls the model and waits for its first batch before anything is sent to the caller, so
 * a model that fails before its first token is answered with an HTTP error the caller can
 * act on (or the fallback sentence), not a 200 stream that breaks. A connection failure or
 * 5xx is retried while nothing has been received; nothing is retried after that. The voice
 * settings shape the request in the provider (each target's own, on a route) and filter the
 * reply in the guard.
 */
export async function startReply(
  provider: Provider,
  call: Omit<ModelCall, "signal">,
  config: Config,
  callerSignal: AbortSignal | undefined,
  log: RequestLog,
): Promise<StartedReply> {
  const guard = new ReplyGuard(config, log);
  const stop = (reason?: unknown) => guard.stop(reason);
  callerSignal?.addEventListener("abort", () => stop(callerSignal.reason), { once: true });
  for (let attempt = 0; ; attempt++) {
    guard.attach(provider({ ...call, signal: guard.signal }, config)[Symbol.asyncIterator]());
    try {
      return { first: await guard.first(), rest: guard, stop };
    } catch (error) {
      if (attempt < config.stream.retries && guard.retryable(error)) continue;
      const spoken = guard.fallback(error);
      if (spoken) return { first: spoken, rest: guard, stop };
      throw guard.fail(error);
    }
  }
}
