import type { Env } from "../config.ts";
import { readiness } from "../readiness.ts";
import { CONTRACT_VERSION } from "../../contracts/version.ts";

/**
 * GET /health: readiness. 200 when both routes can be served with these settings, 503 naming
 * what stops each one otherwise, with the non-secret facts an operator checks first after a
 * deploy. A closed route (no keys) is reported under auth: it is refusing by design.
 */
export function health(_request: Request, env: Env): Response {
  const { config, problems } = readiness(env);
  const ready = problems.spec1.length === 0 && problems.spec2.length === 0;
  const auth = (keys: readonly string[], keyed: string) => (keys.length > 0 ? keyed : config!.allowUnauthenticated ? "open" : "closed");
  return Response.json(
    {
      status: ready ? "ok" : "unavailable",
      contract: CONTRACT_VERSION,
      ...(config && { provider: config.provider, auth: { openai: auth(config.apiKeys, "keys"), alibaba: auth(config.imsTokens, "tokens") } }),
      problems,
    },
    { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
