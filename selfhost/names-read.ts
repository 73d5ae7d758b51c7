import { parseConfig, type Env } from "../worker/config.ts";
import { settingNames } from "../worker/setting-names.ts";

/** Bindings the worker reads beside its settings: never passed as text, whatever the environment holds. */
const BINDINGS = new Set(["ASSETS", "AI", "RATE_LIMITER"]);

/**
 * The names the worker reads from its environment: every setting, and the secrets a MODELS table
 * names (a target's `key`, a route's `keys`), found by running the worker's own settings parser
 * over the environment and recording what it reads, so the table is parsed in one place only. A
 * parse that fails stops early; the worker reports that failure itself on its first request.
 */
export function namesTheWorkerReads(env: NodeJS.ProcessEnv): string[] {
  const read = new Set<string>(settingNames);
  const recording = new Proxy({} as Env, {
    get: (_, name) => {
      if (typeof name !== "string" || BINDINGS.has(name)) return undefined;
      read.add(name);
      return env[name];
    },
  });
  try {
    parseConfig(recording);
  } catch {
    // Reported by the worker, in the caller's wire format and its log.
  }
  return [...read];
}
