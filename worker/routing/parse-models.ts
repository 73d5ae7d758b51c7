import { callSettingNames, parseCallSettings, type Config, type Env } from "../config.ts";
import { ApiError } from "../http/api-error.ts";
import { isRecord } from "../is-record.ts";

/** One upstream a route can call, with the settings its calls run under. */
export interface Target {
  /** How the log line and /health name it: its `name`, or `<route>[<position>]`. */
  name: string;
  /** The deployment's settings with this target's provider, upstream, key and overrides over them. */
  config: Config;
  /** Its share of a pool's conversations. */
  weight: number;
  /** The secret its key is read from (never the key), for /health. */
  keyName: string | undefined;
}

/** One entry of MODELS: what a model id (Spec 1) or a URL (Spec 2) reaches. */
export interface Route {
  name: string;
  /** In order of preference; a tier of several targets is a weighted pool of equal rank. */
  tiers: readonly (readonly Target[])[];
  /** Start the next target beside the current one when it has no first token by then. */
  hedgeAfterMs: number | undefined;
  /** How long a target that keeps failing is skipped. */
  coolDownMs: number;
  /** Credentials accepted on this route alone (read from the secrets `keyNames` names); undefined: the deployment's. */
  keys: readonly string[] | undefined;
  keyNames: readonly string[] | undefined;
  /**
   * The settings the reply guard of a call on this route starts under, until a target answers
   * and its own take over: the first target's, with the deployment's first-token timeout as
   * the whole call's budget and no retries of its own (each target's timeout and retries are
   * applied among the targets). When every target fails, its FALLBACK_TEXT is spoken.
   */
  config: Config;
}

export interface Routing {
  routes: ReadonlyMap<string, Route>;
  /** API_KEYS and IMS_TOKENS as configured: what a route without keys of its own accepts. */
  apiKeys: readonly string[];
  imsTokens: readonly string[];
}

/** The route that answers every model id no other route names, and Spec 2 at its bare URL. */
export const ANY_ROUTE = "*";

/** A target that failed this many calls in a row is skipped for the cool-down. */
const DEFAULT_COOL_DOWN_MS = 30_000;

/** Set by a target's own fields (provider, baseUrl, model, key), or the deployment's alone. */
const notOverridable: ReadonlySet<string> = new Set(["MODEL_PROVIDER", "UPSTREAM_BASE_URL", "UPSTREAM_MODEL", "UPSTREAM_API_KEY", "ALLOW_PRIVATE_UPSTREAM", "AI"]);
// Read when a table is parsed, not at import: config.ts, which defines the names, imports this file.
const overridable = () => callSettingNames.filter((name) => !notOverridable.has(name));

/** The deployment's own credentials: never sent upstream. */
const reservedSecrets: ReadonlySet<string> = new Set(["API_KEYS", "IMS_TOKENS", "UPSTREAM_API_KEY"]);
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const targetFields: ReadonlySet<string> = new Set(["name", "provider", "baseUrl", "model", "key", "weight", "overrides"]);
const routeFields: ReadonlySet<string> = new Set(["targets", "hedgeAfterMs", "coolDownMs", "keys"]);

type Json = Record<string, unknown>;

const bad = (where: string, problem: string, detail?: string) =>
  new ApiError("misconfigured", `Setting MODELS: ${where}: ${problem}`, detail === undefined ? {} : { detail });

function checkFields(value: Json, known: ReadonlySet<string>, where: string) {
  for (const field of Object.keys(value)) {
    if (!known.has(field)) throw bad(where, `unknown field "${field}" (known: ${[...known].join(", ")}).`);
  }
}

function text(value: unknown, where: string, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw bad(where, `field "${field}" must be a non-empty string.`);
  return value.trim();
}

function positive(value: unknown, where: string, field: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw bad(where, `field "${field}" must be a positive ${integer ? "integer" : "number"}.`);
  }
  return value;
}

/** The value of the secret `name` names, checked to be set; the value itself never reaches a message. */
function secret(env: Env, name: unknown, where: string, field: string): string {
  if (typeof name !== "string" || !SECRET_NAME.test(name)) throw bad(where, `field "${field}" must be the name of a secret (letters, digits, _).`);
  if (reservedSecrets.has(name)) throw bad(where, `field "${field}" names ${name}, which holds this deployment's own credentials.`);
  const value: unknown = (env as Record<string, unknown>)[name];
  if (typeof value !== "string" || value.trim() === "") throw bad(where, `field "${field}": the secret ${name} is not set (wrangler secret put ${name}).`);
  return value.trim();
}

function overridesOf(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw bad(where, `field "overrides" must be an object of settings.`);
  const out: Record<string, string> = {};
  for (const [name, setting] of Object.entries(value)) {
    if (!(overridable() as readonly string[]).includes(name)) {
      const hint = notOverridable.has(name) ? "it is set by the target's own fields or is the deployment's alone" : "it is not a per-call setting";
      throw bad(where, `overrides."${name}": ${hint}; a target may override ${overridable().join(", ")}.`);
    }
    if (typeof setting !== "string" && typeof setting !== "number" && typeof setting !== "boolean") throw bad(where, `overrides."${name}" must be a string or a number.`);
    out[name] = String(setting);
  }
  return out;
}

/** Providers that call a server at a base URL (every one but the built-in demo and the Workers AI binding). */
const needsBaseUrl = (provider: string) => provider !== "demo" && provider !== "workers-ai";

function parseTarget(value: unknown, where: string, name: string, env: Env, base: Config): Target {
  if (!isRecord(value)) throw bad(where, "a target must be an object (or a pool: an array of them).");
  checkFields(value, targetFields, where);
  const provider = text(value.provider, where, "provider");
  if (provider === undefined) throw bad(where, `field "provider" is required.`);
  const baseUrl = text(value.baseUrl, where, "baseUrl");
  const model = text(value.model, where, "model");
  const keyName = value.key === undefined ? undefined : (value.key as string);
  const key = keyName === undefined ? undefined : secret(env, keyName, where, "key");
  if (needsBaseUrl(provider) && baseUrl === undefined && base.upstream.baseUrl === undefined) throw bad(where, `field "baseUrl" is required for provider ${provider}.`);
  // A target at a base URL of its own is sent only its own key: the deployment's
  // UPSTREAM_API_KEY goes no further than UPSTREAM_BASE_URL.
  const upstream: Record<string, string | undefined> = { MODEL_PROVIDER: provider };
  if (baseUrl !== undefined) Object.assign(upstream, { UPSTREAM_BASE_URL: baseUrl, UPSTREAM_API_KEY: key ?? "" });
  else if (key !== undefined) upstream.UPSTREAM_API_KEY = key;
  if (model !== undefined) upstream.UPSTREAM_MODEL = model;
  const overlay: Env = Object.assign(Object.create(env) as Env, overridesOf(value.overrides, where), upstream);
  try {
    return { name: text(value.name, where, "name") ?? name, config: { ...base, ...parseCallSettings(overlay) }, weight: positive(value.weight, where, "weight", false) ?? 1, keyName };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw bad(where, error.message.replace(/^Setting /, "setting "), error.detail);
  }
}

function parseRoute(name: string, value: unknown, env: Env, base: Config): Route {
  const where = `route "${name}"`;
  if (!Array.isArray(value) && !isRecord(value)) throw bad(where, "must be a list of targets or an object with targets.");
  const entry: Json = Array.isArray(value) ? { targets: value } : value;
  checkFields(entry, routeFields, where);
  const list = entry.targets;
  if (!Array.isArray(list) || list.length === 0) throw bad(where, `field "targets" must be a non-empty list.`);
  let position = 0;
  const tiers = list.map((tier: unknown, i) => {
    const members = Array.isArray(tier) ? tier : [tier];
    if (members.length === 0) throw bad(`${where}, targets[${i}]`, "a pool must hold at least one target.");
    return members.map((member: unknown, j) => {
      const label = Array.isArray(tier) ? `targets[${i}][${j}]` : `targets[${i}]`;
      return parseTarget(member, `${where}, ${label}`, `${name}[${position++}]`, env, base);
    });
  });
  const names = tiers.flat().map((target) => target.name);
  const twice = names.find((target, i) => names.indexOf(target) !== i);
  if (twice !== undefined) throw bad(where, `two targets are named "${twice}".`);
  let keyNames: string[] | undefined;
  if (entry.keys !== undefined) {
    if (!Array.isArray(entry.keys) || entry.keys.length === 0) throw bad(where, `field "keys" must be a non-empty list of secret names.`);
    keyNames = entry.keys as string[];
  }
  const keys = keyNames?.flatMap((keyName, i) => secret(env, keyName, where, `keys[${i}]`).split(",").map((item) => item.trim()).filter(Boolean));
  if (keys?.length === 0) throw bad(where, `field "keys": the secrets it names hold no keys.`);
  const first = tiers[0]![0]!.config;
  return {
    name,
    tiers,
    hedgeAfterMs: positive(entry.hedgeAfterMs, where, "hedgeAfterMs", true),
    coolDownMs: positive(entry.coolDownMs, where, "coolDownMs", true) ?? DEFAULT_COOL_DOWN_MS,
    keys,
    keyNames,
    // The reply is named after the model the caller asked for, whichever target answers.
    config: { ...first, upstream: { ...first.upstream, model: undefined }, stream: { ...first.stream, firstTokenTimeoutMs: base.stream.firstTokenTimeoutMs, retries: 0 } },
  };
}

/**
 * The MODELS routing table, checked whole when the settings are first read: every error names
 * the route, the target and the field, and never a secret's value (keys are named, not given).
 * `base` is the deployment's settings without MODELS; each target's are those with its own over them.
 */
export function parseModels(raw: string | object, env: Env, base: Config): Routing {
  let table: unknown = raw;
  if (typeof raw === "string") {
    try {
      table = JSON.parse(raw);
    } catch (error) {
      // The parser's message can quote the text, and a table may hold what should have been a secret.
      throw new ApiError("misconfigured", "Setting MODELS is not valid JSON.", { detail: `MODELS ${error instanceof Error ? error.message.slice(0, 40) : ""}` });
    }
  }
  if (!isRecord(table) || Object.keys(table).length === 0) throw new ApiError("misconfigured", "Setting MODELS must be an object of routes: model id -> list of targets.");
  const routes = new Map<string, Route>();
  for (const [name, value] of Object.entries(table)) {
    if (name.trim() === "") throw bad(`route "${name}"`, "a route needs a name.");
    routes.set(name, parseRoute(name, value, env, base));
  }
  return { routes, apiKeys: base.apiKeys, imsTokens: base.imsTokens };
}

/** Every credential some route accepts on its own: the routes check them, the door lets them in. */
export const routeKeys = (routing: Routing): string[] => [...routing.routes.values()].flatMap((route) => route.keys ?? []);
