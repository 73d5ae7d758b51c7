import type { Config, Env } from "../config.ts";
import { ApiError } from "../http/api-error.ts";

/** The part of Cloudflare's Rate Limiting binding the worker uses. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface RateLimitSubject {
  /** Which route's budget: the two specs are counted apart. */
  route: "openai" | "alibaba";
  /** The caller's accepted key or token; undefined when the route is open (ALLOW_UNAUTHENTICATED). */
  credential: string | undefined;
  /** The IMS agent instance, counted apart when RATE_LIMIT_BY_INSTANCE=true. */
  instanceId: string | undefined;
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");

/**
 * Spends one request of the caller's budget in the RATE_LIMITER binding, or throws
 * rate_limited (429 with Retry-After). Does nothing when no binding is configured.
 *
 * The key is a SHA-256 of the credential, never the credential itself: limiter keys show up
 * in Cloudflare's analytics. An open route has no credential to count by, so it counts by the
 * caller's address. If the binding itself fails the call goes through: a voice call should
 * not drop because the limiter is briefly unavailable.
 */
export async function rateLimit(env: Env, config: Config, request: Request, subject: RateLimitSubject): Promise<void> {
  const limiter = env.RATE_LIMITER;
  if (!limiter) return;
  const identity = subject.credential !== undefined ? `credential\n${subject.credential}` : `address\n${request.headers.get("cf-connecting-ip") ?? ""}`;
  const instance = config.rateLimit.byInstance ? (subject.instanceId ?? "") : "";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${identity}\n${instance}`));
  const key = `${subject.route}:${hex(digest).slice(0, 32)}`;
  let success: boolean;
  try {
    ({ success } = await limiter.limit({ key }));
  } catch (error) {
    console.warn(JSON.stringify({ level: "warn", event: "rate_limiter_failed", detail: error instanceof Error ? error.message : String(error) }));
    return;
  }
  if (!success) {
    const seconds = config.rateLimit.retryAfterSeconds;
    throw new ApiError("rate_limited", `Too many requests for this credential; retry after ${seconds} seconds.`, { retryAfter: seconds });
  }
}
