import { parseConfig, readConfig, type CallSettings, type Config, type Env } from "./config.ts";
import { asApiError } from "./http/api-error.ts";
import type { Routing } from "./routing/parse-models.ts";

/**
 * What stops each route from being served, one sentence per problem, each naming the setting
 * to fix and never a setting's value. A list per route, so each part of the settings that can
 * break a route adds its own.
 */
export interface RouteProblems {
  spec1: string[];
  spec2: string[];
}

/** Said by /health and by the call that fails for it. */
export const needsUpstreamUrl = (provider: string) => `MODEL_PROVIDER ${provider} needs UPSTREAM_BASE_URL.`;
export const NEEDS_AI_BINDING = 'MODEL_PROVIDER workers-ai needs the AI binding ([ai] binding = "AI" in wrangler.toml).';

/** What one model call's settings lack, per route: every call made with them would fail. */
export function callProblems(settings: CallSettings): RouteProblems {
  const both: string[] = [];
  const spec2Only: string[] = [];
  const { provider } = settings;
  if ((provider === "openai" || provider === "spec2") && !settings.upstream.baseUrl) both.push(needsUpstreamUrl(provider));
  if (provider === "workers-ai" && !settings.workersAi.binding) both.push(NEEDS_AI_BINDING);
  // IMS sends no model name on Spec 2, and an OpenAI-compatible server needs one.
  if (provider === "openai" && !settings.upstream.model) spec2Only.push("MODEL_PROVIDER openai needs UPSTREAM_MODEL for Spec 2, whose calls name no model.");
  return { spec1: both, spec2: [...both, ...spec2Only] };
}

/**
 * With MODELS, what each target lacks, named by route and target. Which routes a Spec 2
 * workflow uses is not known, so a target's Spec 2 needs are not held against Spec 2 here.
 */
function routingProblems(routing: Routing): RouteProblems {
  const problems = [...routing.routes.values()].flatMap((route) =>
    route.tiers.flat().flatMap((target) => callProblems(target.config).spec1.map((problem) => `MODELS route "${route.name}", target ${target.name}: ${problem}`)),
  );
  return { spec1: problems, spec2: [...problems] };
}

/** Every error a setting's parse throws starts by naming the setting (MODELS for anything in the table). */
const SETTING_NAMED = /^Setting ([A-Z][A-Z0-9_]*)/;
/** Bounds the parses one /health spends on a broken deployment. */
const MAX_BROKEN_SETTINGS = 16;

/**
 * Every setting that does not parse, each with its first problem, so one deploy can fix them
 * all: the setting an error names is read as unset and the settings are parsed again.
 */
function brokenSettings(env: Env, first: unknown): string[] {
  const problems: string[] = [];
  let rest = env;
  for (let error = first; problems.length < MAX_BROKEN_SETTINGS; ) {
    const { message } = asApiError(error);
    problems.push(message);
    const setting = SETTING_NAMED.exec(message)?.[1];
    if (setting === undefined || rest[setting as keyof Env] === undefined) break;
    rest = { ...rest, [setting]: undefined };
    try {
      parseConfig(rest);
      break;
    } catch (next) {
      error = next;
    }
  }
  return problems;
}

/** The deployment's settings and what stops each route; a setting that does not parse stops both. */
export function readiness(env: Env): { config: Config | undefined; problems: RouteProblems } {
  try {
    const config = readConfig(env);
    return { config, problems: config.routing ? routingProblems(config.routing) : callProblems(config) };
  } catch (error) {
    const problems = brokenSettings(env, error);
    return { config: undefined, problems: { spec1: problems, spec2: [...problems] } };
  }
}
