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

/** Conversations an isolate remembers the new home of; past this the oldest is forgotten first. */
const MAX_MOVED_CONVERSATIONS = 10_000;
/** IMS instance ids are a few dozen characters; a longer id is not remembered, so the memory stays small. */
const MAX_REMEMBERED_ID_CHARS = 128;

/**
 * Where a conversation that had to leave its first choice went, per route and conversation, in
 * this isolate: it stays there while that target is healthy, even once its first choice is back,
 * so its new replica's prefix cache is not thrown away twice. Insertion order is age.
 */
const movedTo = new Map<string, string>();
const movedKey = (route: Route, conversation: string) => `${route.name}\n${conversation}`;

/** `order` with the target named `home` first, when it is there. */
function homeFirst(order: readonly Target[], home: string | undefined): readonly Target[] {
  const at = home === undefined ? -1 : order.findIndex((target) => target.name === home);
  return at > 0 ? [order[at]!, ...order.slice(0, at), ...order.slice(at + 1)] : order;
}

/**
 * The targets a call tries, in order: each tier in turn, a pool's members in the
 * conversation's order (its new home first, if it moved), targets in their cool-down left out
 * (unless every one is, when trying them beats refusing the call).
 */
export function callOrder(route: Route, conversation: string | undefined): Target[] {
  const home = conversation === undefined ? undefined : movedTo.get(movedKey(route, conversation));
  const all = route.tiers.flatMap((tier) => homeFirst(poolOrder(tier, conversation), home));
  const now = Date.now();
  const healthy = all.filter((target) => !coolingDown(target, now));
  return healthy.length > 0 ? healthy : all;
}

/** Records which target answered a conversation's call, so a conversation that moved stays moved. */
export function settleConversation(route: Route, conversation: string | undefined, target: Target): void {
  if (conversation === undefined || conversation.length > MAX_REMEMBERED_ID_CHARS) return;
  const tier = route.tiers.find((members) => members.includes(target));
  if (!tier || tier.length === 1) return;
  const key = movedKey(route, conversation);
  movedTo.delete(key);
  // Back on its first choice, the hashed order says it all; anywhere else is worth remembering.
  if (poolOrder(tier, conversation)[0] === target) return;
  movedTo.set(key, target.name);
  if (movedTo.size > MAX_MOVED_CONVERSATIONS) movedTo.delete(movedTo.keys().next().value!);
}
