import { ApiError } from "../http/api-error.ts";
import type { Config } from "../config.ts";
import type { ChosenTarget, Delta, ModelCall, Provider } from "../providers/provider.ts";
import { selectProvider } from "../providers/select-provider.ts";
import type { RequestLog } from "../request-log.ts";
import type { Route, Target } from "./parse-models.ts";
import { settleConversation } from "./call-order.ts";
import { answered, failed } from "./target-health.ts";

type Batch = readonly Delta[];

/** One hedge at a time: a third request in parallel doubles the load again for far less gain. */
const MAX_IN_FLIGHT = 2;

/** Why a hedged request that lost is aborted (it never reaches a caller or the log). */
const LOST = new ApiError("upstream_error", "Another target answered first.");

interface Attempt {
  iterator: AsyncIterator<Batch>;
  abort: (reason: unknown) => void;
  /** The target's first batch, or its failure: its own first-token timeout, or the call's abort. */
  first: Promise<IteratorResult<Batch>>;
}

function open(target: Target, call: ModelCall): Attempt {
  const controller = new AbortController();
  const signal = AbortSignal.any([call.signal, controller.signal]);
  const { config } = target;
  // Each target's request is shaped by its own settings (prompt, extra body, hang-up tool): a backup may need others.
  const iterator = selectProvider(config)({ ...call, model: config.upstream.model ?? call.model, signal }, config)[Symbol.asyncIterator]();
  const timeoutMs = config.stream.firstTokenTimeoutMs;
  const timer = setTimeout(
    () => controller.abort(new ApiError("upstream_timeout", "The model did not start its reply in time.", { detail: `${target.name} first-token timeout ${timeoutMs} ms` })),
    timeoutMs,
  );
  // Fails at the abort whether or not the provider notices its signal.
  const first = new Promise<IteratorResult<Batch>>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    iterator.next().then(resolve, reject);
  });
  void first.then(() => clearTimeout(timer), () => clearTimeout(timer));
  return { iterator, abort: (reason) => controller.abort(reason), first };
}

/**
 * A route's targets as one provider: before the first token it tries them in `order`, moving
 * to the next at once when one fails (connection, 5xx, 429, 4xx, a broken first event, its own
 * first-token timeout) and, with hedgeAfterMs, starting the next beside one that is slow. The
 * first target to produce a batch is the reply; any other in flight is aborted at once, so
 * nothing is ever spliced from two models. After that it is the winner's stream as it is, and
 * `chosen` names the winner's settings: the reply guard, which owns the whole call (its
 * first-token budget, the log line), runs the rest of the reply under that target's idle and
 * total timeouts, FALLBACK_TEXT and speech settings.
 */
export function raceTargets(route: Route, order: readonly Target[], conversation: string | undefined, log: RequestLog): Provider {
  return (call) => {
    let winner: AsyncIterator<Batch> | undefined;
    let chosen: Config | undefined;
    const race = () =>
      new Promise<IteratorResult<Batch>>((resolve, reject) => {
        const queue = [...order];
        // The last target left is retried like a lone upstream (UPSTREAM_RETRIES), after a connection failure or 5xx.
        const retries = new Map<Target, number>();
        const running = new Set<Attempt>();
        const tried: string[] = [];
        let hedged = false;
        let settled = false;
        let hedgeTimer: ReturnType<typeof setTimeout> | undefined;
        const settle = (target: Target | undefined) => {
          settled = true;
          if (hedgeTimer !== undefined) clearTimeout(hedgeTimer);
          log.routed({ model: route.name, target: target?.name ?? null, attempts: tried, hedged });
        };
        const launch = (target: Target) => {
          const attempt = open(target, call);
          running.add(attempt);
          tried.push(target.name);
          attempt.first.then(
            (result) => {
              if (settled) return attempt.abort(LOST);
              for (const other of running) if (other !== attempt) other.abort(LOST);
              answered(target);
              settleConversation(route, conversation, target);
              winner = attempt.iterator;
              chosen = target.config;
              settle(target);
              resolve(result);
            },
            (error: unknown) => {
              running.delete(attempt);
              if (settled) return;
              // The caller left or the call's own budget ran out: nothing more is tried.
              if (call.signal.aborted) {
                settle(undefined);
                return reject(error);
              }
              failed(target, route.coolDownMs);
              const left = retries.get(target) ?? target.config.stream.retries;
              if (queue.length === 0 && running.size === 0 && left > 0 && error instanceof ApiError && error.code === "upstream_unavailable") {
                retries.set(target, left - 1);
                queue.push(target);
              }
              const next = queue.shift();
              if (next) launch(next);
              else if (running.size === 0) {
                settle(undefined);
                reject(error);
              }
            },
          );
          if (hedgeTimer !== undefined) clearTimeout(hedgeTimer);
          if (route.hedgeAfterMs !== undefined && running.size < MAX_IN_FLIGHT && queue.length > 0) {
            hedgeTimer = setTimeout(() => {
              const next = queue.shift();
              if (settled || !next) return;
              hedged = true;
              launch(next);
            }, route.hedgeAfterMs);
          }
        };
        launch(queue.shift()!);
      });
    const iterator: AsyncIterator<Batch> & ChosenTarget = {
      next: () => (winner ? winner.next() : race()),
      get chosen() {
        return chosen;
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  };
}
