import { configIfValid, type Config, type Env, type RateLimiter } from "../config.ts";
import { ApiError, messageOf } from "../http/api-error.ts";

export interface RateLimitSubject {
  /** Which route's budget: the two specs are counted apart. */
  route: "openai" | "alibaba";
  /** The caller's accepted key or token; undefined when the route is open (ALLOW_UNAUTHENTICATED). */
  credential: string | undefined;
  /** The IMS agent instance, counted apart when RATE_LIMIT_BY_INSTANCE=true. */
  instanceId: string | undefined;
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");

const addressOf = (request: Request) => `address\n${request.headers.get("cf-connecting-ip") ?? ""}`;

/**
 * Spends one unit of `identity`'s budget in `bucket`; false when it is spent. The key is a
 * SHA-256 of the identity, never the credential itself: limiter keys show up in Cloudflare's
 * analytics. If the binding itself fails the call goes through: a voice call should not drop
 * because the limiter is briefly unavailable.
 */
async function spend(limiter: RateLimiter, bucket: string, identity: string): Promise<boolean> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(identity));
  try {
    return (await limiter.limit({ key: `${bucket}:${hex(digest).slice(0, 32)}` })).success;
  } catch (error) {
    console.warn(JSON.stringify({ level: "warn", event: "rate_limiter_failed", detail: messageOf(error) }));
    return true;
  }
}

const limited = (config: Config, what: string) => {
  const seconds = config.rateLimit.retryAfterSeconds;
  return new ApiError("rate_limited", `Too many requests for this ${what}; retry after ${seconds} seconds.`, { retryAfter: seconds });
};

/**
 * Spends one request of the caller's budget in the RATE_LIMITER binding, or throws
 * rate_limited (429 with Retry-After). Does nothing when no binding is configured. An open
 * route has no credential to count by, so it counts by the caller's address.
 */
export async function rateLimit(env: Env, config: Config, request: Request, subject: RateLimitSubject): Promise<void> {
  const limiter = env.RATE_LIMITER;
  if (!limiter) return;
  const identity = subject.credential !== undefined ? `credential\n${subject.credential}` : addressOf(request);
  const instance = config.rateLimit.byInstance ? (subject.instanceId ?? "") : "";
  if (!(await spend(limiter, subject.route, `${identity}\n${instance}`))) throw limited(config, "credential");
}

/**
 * A failed authentication spends one unit of its client address's budget, so guessing keys is
 * metered: past the budget, that address's failures are answered 429 instead of 401 for the
 * rest of the period. What else `error` is passes through unchanged.
 */
export async function meterFailedAuth(env: Env, request: Request, route: RateLimitSubject["route"], error: ApiError): Promise<ApiError> {
  const limiter = env.RATE_LIMITER;
  const config = configIfValid(env);
  if (!limiter || !config || (error.code !== "invalid_credentials" && error.code !== "missing_credentials")) return error;
  return (await spend(limiter, `${route}-failed-auth`, addressOf(request))) ? error : limited(config, "client address");
}
