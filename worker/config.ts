import { ApiError } from "./http/api-error.ts";
import type { RateLimiter } from "./security/rate-limit.ts";
import { upstreamUrlProblem } from "./security/upstream-url-problem.ts";

/** The worker's bindings as wrangler.toml, `wrangler secret put` and .dev.vars provide them. */
export interface Env {
  MODEL_PROVIDER?: string;
  UPSTREAM_BASE_URL?: string;
  UPSTREAM_API_KEY?: string;
  UPSTREAM_MODEL?: string;
  API_KEYS?: string;
  IMS_TOKENS?: string;
  ALLOW_UNAUTHENTICATED?: string;
  MAX_BODY_BYTES?: string;
  MAX_MESSAGES?: string;
  MAX_REPLY_CHARS?: string;
  MAX_MESSAGE_CHARS?: string;
  MAX_FIELD_CHARS?: string;
  MAX_JSON_DEPTH?: string;
  MAX_FORM_FIELDS?: string;
  MAX_UPSTREAM_EVENT_BYTES?: string;
  ALLOW_PRIVATE_UPSTREAM?: string;
  /** Cloudflare Rate Limiting binding ([[ratelimits]] in wrangler.toml); no binding, no rate limit. */
  RATE_LIMITER?: RateLimiter;
  RATE_LIMIT_BY_INSTANCE?: string;
  RATE_LIMIT_RETRY_AFTER?: string;
  CORS_ALLOW_ORIGINS?: string;
}

export const providerNames = ["demo", "openai", "workers-ai", "alibaba"] as const;
export type ProviderName = (typeof providerNames)[number];

export interface Config {
  provider: ProviderName;
  /** Accepted Spec 1 keys; empty means the route refuses every call unless allowUnauthenticated. */
  apiKeys: readonly string[];
  /** Accepted Spec 2 tokens; same rule as apiKeys. */
  imsTokens: readonly string[];
  allowUnauthenticated: boolean;
  upstream: { baseUrl: string | undefined; apiKey: string | undefined; model: string | undefined };
  limits: {
    maxBodyBytes: number;
    maxMessages: number;
    maxReplyChars: number;
    /** Text characters of one message (content, text parts, tool-call arguments). */
    maxMessageChars: number;
    /** Characters of any one Spec 2 form field (Message and ExtendData above all), before it is decoded. */
    maxFieldChars: number;
    /** Nesting of arrays and objects in a JSON body or a decoded Spec 2 field. */
    maxJsonDepth: number;
    /** Fields in one Spec 2 form. */
    maxFormFields: number;
    /** Bytes an upstream stream may send without completing an event (see upstreamEventGuard). */
    maxUpstreamEventBytes: number;
  };
  /** Browser origins allowed to call the API routes; empty (the default) means no CORS. */
  corsOrigins: readonly string[];
  rateLimit: {
    /** Count each IMS agent instance of a key apart, so one busy call cannot starve the others. */
    byInstance: boolean;
    /** Sent as Retry-After on 429. */
    retryAfterSeconds: number;
  };
}

/** Multimodal turns carry base64 images (a phone-camera JPEG is 0.3-2 MB), so 8 MiB leaves room. */
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** IMS sends at most 20 records; 200 leaves room for other clients while bounding work. */
const DEFAULT_MAX_MESSAGES = 200;
/** A spoken reply of this length already lasts tens of minutes; more means a runaway model. */
const DEFAULT_MAX_REPLY_CHARS = 64 * 1024;

/** Room for a long system prompt with retrieved documents; images are bounded by MAX_BODY_BYTES instead. */
const DEFAULT_MAX_MESSAGE_CHARS = 256 * 1024;
/** IMS's 20 records of speech fit many times over; more is not a conversation. */
const DEFAULT_MAX_FIELD_CHARS = 1024 * 1024;
/** Tool parameter schemas nest about ten levels; 64 bounds the work of a hostile body. */
const DEFAULT_MAX_JSON_DEPTH = 64;
/** IMS sends three fields; the rest is room for proxies that add a few. */
const DEFAULT_MAX_FORM_FIELDS = 32;
/** An upstream event is a few hundred bytes; a megabyte without one is a broken or hostile upstream. */
const DEFAULT_MAX_UPSTREAM_EVENT_BYTES = 1024 * 1024;

/** The longest period the Rate Limiting binding allows (10 or 60 s): a retry after it meets a fresh window. */
const DEFAULT_RATE_LIMIT_RETRY_AFTER = 60;

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

const positiveInt = (env: Env, name: keyof Env, fallback: number) => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ApiError("misconfigured", `Setting ${name} must be a positive integer.`);
  return value;
};

const optional = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

export function parseConfig(env: Env): Config {
  const provider = optional(env.MODEL_PROVIDER) ?? "demo";
  if (!(providerNames as readonly string[]).includes(provider)) {
    throw new ApiError("misconfigured", `Setting MODEL_PROVIDER must be one of ${providerNames.join(", ")}.`);
  }
  const upstreamUrl = optional(env.UPSTREAM_BASE_URL);
  const upstreamProblem = upstreamUrl && upstreamUrlProblem(upstreamUrl, env.ALLOW_PRIVATE_UPSTREAM === "true");
  // Callers learn only that the setting is wrong (they may not even hold a key); the log says why.
  if (upstreamProblem) {
    throw new ApiError("misconfigured", "Setting UPSTREAM_BASE_URL is not acceptable; the worker's log says why.", { detail: `UPSTREAM_BASE_URL ${upstreamProblem}` });
  }
  return {
    provider: provider as ProviderName,
    apiKeys: list(env.API_KEYS),
    imsTokens: list(env.IMS_TOKENS),
    allowUnauthenticated: env.ALLOW_UNAUTHENTICATED === "true",
    upstream: {
      baseUrl: optional(env.UPSTREAM_BASE_URL),
      apiKey: optional(env.UPSTREAM_API_KEY),
      model: optional(env.UPSTREAM_MODEL),
    },
    limits: {
      maxBodyBytes: positiveInt(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
      maxMessages: positiveInt(env, "MAX_MESSAGES", DEFAULT_MAX_MESSAGES),
      maxReplyChars: positiveInt(env, "MAX_REPLY_CHARS", DEFAULT_MAX_REPLY_CHARS),
      maxMessageChars: positiveInt(env, "MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS),
      maxFieldChars: positiveInt(env, "MAX_FIELD_CHARS", DEFAULT_MAX_FIELD_CHARS),
      maxJsonDepth: positiveInt(env, "MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH),
      maxFormFields: positiveInt(env, "MAX_FORM_FIELDS", DEFAULT_MAX_FORM_FIELDS),
      maxUpstreamEventBytes: positiveInt(env, "MAX_UPSTREAM_EVENT_BYTES", DEFAULT_MAX_UPSTREAM_EVENT_BYTES),
    },
    corsOrigins: list(env.CORS_ALLOW_ORIGINS),
    rateLimit: {
      byInstance: env.RATE_LIMIT_BY_INSTANCE === "true",
      retryAfterSeconds: positiveInt(env, "RATE_LIMIT_RETRY_AFTER", DEFAULT_RATE_LIMIT_RETRY_AFTER),
    },
  };
}

// The env object is the same for every request an isolate serves, so it is parsed once.
const cache = new WeakMap<Env, Config>();

export function readConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) cache.set(env, (config = parseConfig(env)));
  return config;
}
