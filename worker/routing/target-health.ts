import type { Target } from "./parse-models.ts";

/** Failed calls in a row after which a target is skipped: one is bad luck, three is a pattern. */
const FAILURES_BEFORE_COOL_DOWN = 3;

interface Health {
  failures: number;
  /** Until when calls skip it (Date.now() ms). */
  until: number;
}

/**
 * How each target has been doing, in this isolate only: Cloudflare runs many isolates, each
 * learns on its own (a few failed first attempts each), and none has to ask another before a
 * call. A target is skipped for its route's cool-down after failing several calls in a row;
 * when that is over the next call tries it again, and one more failure skips it again.
 */
const health = new WeakMap<Target, Health>();

export function coolingDown(target: Target, now: number): boolean {
  const state = health.get(target);
  return state !== undefined && state.until > now;
}

export function failed(target: Target, coolDownMs: number): void {
  const state = health.get(target) ?? { failures: 0, until: 0 };
  state.failures++;
  if (state.failures >= FAILURES_BEFORE_COOL_DOWN) state.until = Date.now() + coolDownMs;
  health.set(target, state);
}

export function answered(target: Target): void {
  health.delete(target);
}
