import { ApiError } from "./http/api-error.ts";
import { isRecord } from "./is-record.ts";
import { upstreamUrlProblem } from "./security/upstream-url-problem.ts";
import type { ChatTool } from "../contracts/openai/chat-request.ts";
import { parseModels, routeKeys, type Routing } from "./routing/parse-models.ts";
import { callStringSettingNames } from "./call-setting-names.ts";
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

/** The part of Cloudflare's Rate Limiting binding the worker uses. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
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
  /** What a voice call adds to the request (prompt, tools, defaults) and to the reply (speech cleanup). */
  voice: VoiceSettings;
}

export const systemPromptModes = ["prepend", "replace", "if-absent"] as const;
export const speechCleanups = ["off", "markdown"] as const;
export const interruptedMarkers = ["keep", "note", "strip"] as const;

/** What the deployment adds to a voice call: on the way to the model, and on the reply's way to the speech engine. */
export interface VoiceSettings {
  systemPrompt: string | undefined;
  systemPromptMode: (typeof systemPromptModes)[number];
  speechCleanup: (typeof speechCleanups)[number];
  /** The hang-up function offered to the model, ready to append to a request's tools. */
  hangupTool: ChatTool | undefined;
  interruptedMarker: (typeof interruptedMarkers)[number];
  defaultMaxTokens: number | undefined;
  defaultTemperature: number | undefined;
  /** Merged into every upstream request body. */
  extraBody: Readonly<Record<string, unknown>> | undefined;
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
    /** How long a request body may take to arrive, refused or not. */
    bodyTimeoutMs: number;
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

/**
 * A request costs about 7x its body in memory at its peak (bench/hostile.ts): 20 concurrent 2 MiB
 * requests fit an isolate's 128 MiB, 4 MiB ones do not. It still holds a 1.5 MB JPEG in base64.
 */
const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
/** IMS posts server to server: a body still arriving after 10 s is a stalled or hostile client, not a slow one. */
const DEFAULT_BODY_TIMEOUT_MS = 10_000;
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

const nonNegativeInt = (env: Env, name: Setting, fallback: number) => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ApiError("misconfigured", `Setting ${name} must be a whole number (0 or more).`);
  return value;
};

const optional = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

/** OpenAI's rule for function names; a name outside it fails every upstream request. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Tells the model what the function is for; a voice agent's model needs to know it ends the call. */
const DEFAULT_HANGUP_DESCRIPTION = "End the phone call. Call it once the conversation is over, after saying goodbye.";
/** The body fields the worker itself sets: a deployment that overrode them would break every call. */
const RESERVED_BODY_KEYS = ["model", "messages", "stream"];

const oneOf = <T extends string>(env: Env, name: Setting, values: readonly T[]): T => {
  const value = optional(env[name]) ?? values[0]!;
  if (!(values as readonly string[]).includes(value)) throw new ApiError("misconfigured", `Setting ${name} must be one of ${values.join(", ")}.`);
  return value as T;
};

/**
 * A prompt as written. A single-line field (a console form, a container's env list) cannot hold
 * a line break, so the two characters \n stand for one; wrangler.toml's """ strings and .dev.vars
 * quotes hold real ones.
 */
const prompt = (value: string | undefined) => optional(value?.replaceAll("\\n", "\n"));

function extraBody(env: Env): VoiceSettings["extraBody"] {
  const raw = optional(env.UPSTREAM_EXTRA_BODY);
  if (raw === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    // Not JSON: refused below, as JSON that is not an object is.
  }
  if (!isRecord(body)) throw new ApiError("misconfigured", "Setting UPSTREAM_EXTRA_BODY must be a JSON object.");
  const reserved = RESERVED_BODY_KEYS.find((key) => Object.hasOwn(body, key));
  if (reserved) throw new ApiError("misconfigured", `Setting UPSTREAM_EXTRA_BODY may not set "${reserved}": the worker sets it.`);
  return body;
}

function hangupTool(env: Env): ChatTool | undefined {
  const name = optional(env.HANGUP_TOOL);
  const description = optional(env.HANGUP_TOOL_DESCRIPTION);
  if (name === undefined) {
    if (description !== undefined) throw new ApiError("misconfigured", "Setting HANGUP_TOOL_DESCRIPTION needs HANGUP_TOOL (the function's name).");
    return undefined;
  }
  if (!FUNCTION_NAME.test(name)) throw new ApiError("misconfigured", "Setting HANGUP_TOOL must be a function name: letters, digits, _ and -, at most 64.");
  return { type: "function", function: { name, description: description ?? DEFAULT_HANGUP_DESCRIPTION, parameters: { type: "object", properties: {} } } };
}

function temperature(env: Env): number | undefined {
  const raw = optional(env.DEFAULT_TEMPERATURE);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  // OpenAI's range; providers with a narrower one refuse the request themselves.
  if (!Number.isFinite(value) || value < 0 || value > 2) throw new ApiError("misconfigured", "Setting DEFAULT_TEMPERATURE must be a number from 0 to 2.");
  return value;
}

function parseVoiceSettings(env: Env): VoiceSettings {
  return {
    systemPrompt: prompt(env.SYSTEM_PROMPT),
    systemPromptMode: oneOf(env, "SYSTEM_PROMPT_MODE", systemPromptModes),
    speechCleanup: oneOf(env, "SPEECH_CLEANUP", speechCleanups),
    hangupTool: hangupTool(env),
    interruptedMarker: oneOf(env, "INTERRUPTED_MARKER", interruptedMarkers),
    defaultMaxTokens: env.DEFAULT_MAX_TOKENS?.trim() ? positiveInt(env, "DEFAULT_MAX_TOKENS", 0) : undefined,
    defaultTemperature: temperature(env),
    extraBody: extraBody(env),
  };
}
/**
 * Every setting parseCallSettings reads, the AI binding among them, so the routing table can tell
 * a per-target override from a setting that is the deployment's alone.
 */
export const callSettingNames = [...callStringSettingNames, "AI"] as const satisfies readonly (keyof Env)[];

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
      retries: nonNegativeInt(env, "UPSTREAM_RETRIES", DEFAULT_UPSTREAM_RETRIES),
      fallbackText: optional(env.FALLBACK_TEXT),
      maxEventBytes: positiveInt(env, "MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES),
    },
    workersAi: { binding: env.AI, model: optional(env.WORKERS_AI_MODEL) ?? DEFAULT_WORKERS_AI_MODEL },
    voice: parseVoiceSettings(env),
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
      bodyTimeoutMs: positiveInt(env, "BODY_TIMEOUT_MS", DEFAULT_BODY_TIMEOUT_MS),
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
