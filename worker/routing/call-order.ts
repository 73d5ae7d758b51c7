import type { Route, Target } from "./parse-models.ts";
import { coolingDown } from "./target-health.ts";

/** FNV-1a: a fast, well-spread 32-bit hash; nothing here needs to resist an attacker. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // A final avalanche, so ids that differ in their last character land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * A pool's targets in the order one conversation tries them: weighted rendezvous hashing
 * (score weight / -ln(u), u a hash of the conversation and the target in (0, 1)). Every call
 * of one conversation gets the same order, so it stays on one target while that target is
 * healthy and, when it is not, moves to the same second choice every time; conversations
 * spread over the pool by weight; adding or removing a target moves only its own share.
 * A call without a conversation id is placed at random, still by weight.
 */
function poolOrder(pool: readonly Target[], conversation: string | undefined): readonly Target[] {
  if (pool.length === 1) return pool;
  const scored = pool.map((target) => {
    const u = conversation === undefined ? Math.random() || 0.5 : (hash(`${conversation}\n${target.name}`) + 0.5) / 2 ** 32;
    return { target, score: target.weight / -Math.log(u) };
  });
  return scored.sort((a, b) => b.score - a.score).map((entry) => entry.target);
}

/**
 * The targets a call tries, in order: each tier in turn, a pool's members in the
 * conversation's order, targets in their cool-down left out (unless every one is, when
 * trying them beats refusing the call).
 */
export function callOrder(route: Route, conversation: string | undefined): Target[] {
  const all = route.tiers.flatMap((tier) => poolOrder(tier, conversation));
  const now = Date.now();
  const healthy = all.filter((target) => !coolingDown(target, now));
  return healthy.length > 0 ? healthy : all;
}
