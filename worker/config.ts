import { ApiError } from "./http/api-error.ts";
import type { RateLimiter } from "./security/rate-limit.ts";
import { upstreamUrlProblem } from "./security/upstream-url-problem.ts";
import { parseModels, routeKeys, type Routing } from "./routing/parse-models.ts";
import type { SettingName } from "./setting-names.ts";

/** The worker's bindings as wrangler.toml, `wrangler secret put` and .dev.vars provide them (or, self-hosted, the environment). */
export type Env = { [name in Setting]?: string } & {
  /** The published schemas (wrangler.toml [assets]; self-hosted, a workerd disk service). */
  ASSETS?: { fetch(input: URL): Promise<Response> };
  /** The Workers AI binding (`[ai] binding = "AI"`), used when MODEL_PROVIDER is workers-ai. */
  AI?: AiBinding;
  /** Cloudflare Rate Limiting binding ([[ratelimits]] in wrangler.toml); no binding, no rate limit. */
  RATE_LIMITER?: RateLimiter;
  /** The routing table: a JSON string (environment, .dev.vars) or an object (a TOML table in wrangler.toml). */
  MODELS?: string | object;
};

/** The part of the Workers AI binding this worker uses; the real binding and test stand-ins both fit it. */
export interface AiBinding {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

/** The settings that are plain strings (everything but bindings and the routing table). */
type Setting = Exclude<SettingName, "MODELS">;

export const providerNames = ["demo", "openai", "workers-ai", "spec2"] as const;
export type ProviderName = (typeof providerNames)[number];
/** Old names still accepted. `alibaba` was renamed: it reads as Alibaba's model service, which is served by `openai`. */
const providerAliases: Record<string, ProviderName> = { alibaba: "spec2" };

/**
 * The settings that shape one model call: which model, where, and how its reply is guarded.
 * They are parsed from one source of setting strings (the environment, or the environment
 * overlaid with one target's overrides), so every call's effective settings come from one place.
 */
export interface CallSettings {
  provider: ProviderName;
  upstream: { baseUrl: string | undefined; apiKey: string | undefined; model: string | undefined };
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

/** The deployment's settings: who may call, what a request may hold, and the default call settings. */
export interface Config extends CallSettings {
  /** Accepted Spec 1 keys; empty means the route refuses every call unless allowUnauthenticated. */
  apiKeys: readonly string[];
  /** Accepted Spec 2 tokens; same rule as apiKeys. */
  imsTokens: readonly string[];
  allowUnauthenticated: boolean;
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
  };
  /** The MODELS routing table; undefined without MODELS (the settings above are the one route). */
  routing: Routing | undefined;
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
/** Room for a long system prompt with retrieved documents; images are bounded by MAX_BODY_BYTES instead. */
const DEFAULT_MAX_MESSAGE_CHARS = 256 * 1024;
/** IMS's 20 records of speech fit many times over; more is not a conversation. */
const DEFAULT_MAX_FIELD_CHARS = 1024 * 1024;
/** Tool parameter schemas nest about ten levels; 64 bounds the work of a hostile body. */
const DEFAULT_MAX_JSON_DEPTH = 64;
/** IMS sends three fields; the rest is room for proxies that add a few. */
const DEFAULT_MAX_FORM_FIELDS = 32;

/** The longest period the Rate Limiting binding allows (10 or 60 s): a retry after it meets a fresh window. */
const DEFAULT_RATE_LIMIT_RETRY_AFTER = 60;

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

/**
 * Every setting parseCallSettings reads, so the routing table can tell a per-target override
 * from a setting that is the deployment's alone. A test holds this list to what the function reads.
 */
export const callSettingNames = [
  "MODEL_PROVIDER",
  "UPSTREAM_BASE_URL",
  "UPSTREAM_API_KEY",
  "UPSTREAM_MODEL",
  "ALLOW_PRIVATE_UPSTREAM",
  "FIRST_TOKEN_TIMEOUT_MS",
  "IDLE_TIMEOUT_MS",
  "TOTAL_TIMEOUT_MS",
  "UPSTREAM_RETRIES",
  "FALLBACK_TEXT",
  "MAX_EVENT_BYTES",
  "AI",
  "WORKERS_AI_MODEL",
] as const satisfies readonly (keyof Env)[];

/** The call settings read from `env`: the deployment's defaults, or (overlaid) one target's. */
export function parseCallSettings(env: Env): CallSettings {
  const named = optional(env.MODEL_PROVIDER) ?? "demo";
  const provider = providerAliases[named] ?? named;
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
    upstream: {
      baseUrl: upstreamUrl,
      apiKey: optional(env.UPSTREAM_API_KEY),
      model: optional(env.UPSTREAM_MODEL),
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

export function parseConfig(env: Env): Config {
  const base: Config = {
    ...parseCallSettings(env),
    apiKeys: list(env.API_KEYS),
    imsTokens: list(env.IMS_TOKENS),
    allowUnauthenticated: env.ALLOW_UNAUTHENTICATED === "true",
    limits: {
      maxBodyBytes: positiveInt(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
      maxMessages: positiveInt(env, "MAX_MESSAGES", DEFAULT_MAX_MESSAGES),
      maxReplyChars: positiveInt(env, "MAX_REPLY_CHARS", DEFAULT_MAX_REPLY_CHARS),
      maxMessageChars: positiveInt(env, "MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS),
      maxFieldChars: positiveInt(env, "MAX_FIELD_CHARS", DEFAULT_MAX_FIELD_CHARS),
      maxJsonDepth: positiveInt(env, "MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH),
      maxFormFields: positiveInt(env, "MAX_FORM_FIELDS", DEFAULT_MAX_FORM_FIELDS),
    },
    routing: undefined,
    corsOrigins: list(env.CORS_ALLOW_ORIGINS),
    rateLimit: {
      byInstance: env.RATE_LIMIT_BY_INSTANCE === "true",
      retryAfterSeconds: positiveInt(env, "RATE_LIMIT_RETRY_AFTER", DEFAULT_RATE_LIMIT_RETRY_AFTER),
    },
  };
  if (env.MODELS === undefined || env.MODELS === "") return base;
  const routing = parseModels(env.MODELS, env, base);
  // A key limited to some routes opens the door like any other; the route it asks for checks it.
  const limited = routeKeys(routing);
  return { ...base, routing, apiKeys: [...base.apiKeys, ...limited], imsTokens: [...base.imsTokens, ...limited] };
}

// The env object is the same for every request an isolate serves, so it is parsed once; a
// setting that is wrong stays wrong, so its error is kept too and the table is validated once.
const cache = new WeakMap<Env, Config | ApiError>();

export function readConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    try {
      config = parseConfig(env);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      config = error;
    }
    cache.set(env, config);
  }
  if (config instanceof ApiError) throw config;
  return config;
}

/** The settings, or undefined when one does not parse: for what must still answer then (/health, CORS, the drain). */
export function configIfValid(env: Env): Config | undefined {
  try {
    return readConfig(env);
  } catch {
    return undefined;
  }
}
