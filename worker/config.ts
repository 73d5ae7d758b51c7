import { ApiError } from "./http/api-error.ts";

/** The worker's bindings as wrangler.toml, `wrangler secret put` and .dev.vars provide them. */
export interface Env {
  /** The published schemas (wrangler.toml [assets]). */
  ASSETS?: { fetch(input: URL): Promise<Response> };
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
  FIRST_TOKEN_TIMEOUT_MS?: string;
  IDLE_TIMEOUT_MS?: string;
  TOTAL_TIMEOUT_MS?: string;
  UPSTREAM_RETRIES?: string;
  FALLBACK_TEXT?: string;
  MAX_EVENT_BYTES?: string;
  WORKERS_AI_MODEL?: string;
  /** The Workers AI binding (`[ai] binding = "AI"`), used when MODEL_PROVIDER is workers-ai. */
  AI?: AiBinding;
}

/** The part of the Workers AI binding this worker uses; the real binding and test stand-ins both fit it. */
export interface AiBinding {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

/** The settings that are plain strings (everything but bindings). */
type Setting = Exclude<keyof Env, "AI">;

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
  limits: { maxBodyBytes: number; maxMessages: number; maxReplyChars: number };
  /** How a model's reply is guarded, the same for every provider. */
  stream: {
    firstTokenTimeoutMs: number;
    idleTimeoutMs: number;
    totalTimeoutMs: number;
    /** Extra attempts after a connection failure or 5xx before the first token. */
    retries: number;
    /** Spoken instead of an error when set. */
    fallbackText: string | undefined;
    /** The largest upstream event accepted, in characters. */
    maxEventBytes: number;
  };
  workersAi: { binding: AiBinding | undefined; model: string };
}

/** Multimodal turns carry base64 images (a phone-camera JPEG is 0.3-2 MB), so 8 MiB leaves room. */
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** IMS sends at most 20 records; 200 leaves room for other clients while bounding work. */
const DEFAULT_MAX_MESSAGES = 200;
/** A spoken reply of this length already lasts tens of minutes; more means a runaway model. */
const DEFAULT_MAX_REPLY_CHARS = 64 * 1024;

/** Past IMS's longest filler wait (LlmPending.WaitTime, at most 10 s): after that the caller hears silence. */
const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 15_000;
/** Streaming models emit tokens every few tens of ms; 10 s without one is a stalled upstream, not a slow one. */
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/** A spoken answer longer than this is a runaway generation, and it bounds what one call can cost. */
const DEFAULT_TOTAL_TIMEOUT_MS = 120_000;
/** One retry rides out a dropped connection or a replica restarting without doubling the wait twice. */
const DEFAULT_UPSTREAM_RETRIES = 1;
/** Peers fail on events over 64 KiB; a long tool-call argument can exceed that, 1 MiB bounds memory. */
const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
/** A small, fast instruct model: in a voice call time to first token matters more than size. */
const DEFAULT_WORKERS_AI_MODEL = "@cf/meta/llama-3.1-8b-instruct";

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

const positiveInt = (env: Env, name: Setting, fallback: number) => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ApiError("misconfigured", `Setting ${name} must be a positive integer.`);
  return value;
};

const count = (env: Env, name: Setting, fallback: number) => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ApiError("misconfigured", `Setting ${name} must be a whole number (0 or more).`);
  return value;
};

const optional = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

export function parseConfig(env: Env): Config {
  const provider = optional(env.MODEL_PROVIDER) ?? "demo";
  if (!(providerNames as readonly string[]).includes(provider)) {
    throw new ApiError("misconfigured", `Setting MODEL_PROVIDER must be one of ${providerNames.join(", ")}.`);
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
    },
    stream: {
      firstTokenTimeoutMs: positiveInt(env, "FIRST_TOKEN_TIMEOUT_MS", DEFAULT_FIRST_TOKEN_TIMEOUT_MS),
      idleTimeoutMs: positiveInt(env, "IDLE_TIMEOUT_MS", DEFAULT_IDLE_TIMEOUT_MS),
      totalTimeoutMs: positiveInt(env, "TOTAL_TIMEOUT_MS", DEFAULT_TOTAL_TIMEOUT_MS),
      retries: count(env, "UPSTREAM_RETRIES", DEFAULT_UPSTREAM_RETRIES),
      fallbackText: optional(env.FALLBACK_TEXT),
      maxEventBytes: positiveInt(env, "MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES),
    },
    workersAi: { binding: env.AI, model: optional(env.WORKERS_AI_MODEL) ?? DEFAULT_WORKERS_AI_MODEL },
  };
}

// The env object is the same for every request an isolate serves, so it is parsed once.
const cache = new WeakMap<Env, Config>();

export function readConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) cache.set(env, (config = parseConfig(env)));
  return config;
}
