import type { Env } from "../config.ts";
import { readiness } from "../readiness.ts";
import type { Routing } from "../routing/parse-models.ts";
import { coolingDown } from "../routing/target-health.ts";
import { CONTRACT_VERSION } from "../../contracts/version.ts";

/** The routing table as an operator checks it: names, providers, where, which secret; never a secret's value. */
const routesOf = (routing: Routing, now: number) =>
  Object.fromEntries(
    [...routing.routes.values()].map((route) => [
      route.name,
      // Fields left undefined are not in the JSON answer.
      {
        hedgeAfterMs: route.hedgeAfterMs,
        keys: route.keyNames,
        targets: route.tiers.map((tier) =>
          tier.map((target) => ({
            name: target.name,
            provider: target.config.provider,
            baseUrl: target.config.upstream.baseUrl,
            model: target.config.upstream.model,
            key: target.keyName,
            weight: tier.length > 1 ? target.weight : undefined,
            coolingDown: coolingDown(target, now) || undefined,
          })),
        ),
      },
    ]),
  );

/**
 * GET /health: readiness. 200 when both routes can be served with these settings, 503 naming
 * what stops each one otherwise, with the non-secret facts an operator checks first after a
 * deploy, and the MODELS routes with their targets. A closed route (no keys) is reported
 * under auth: it is refusing by design.
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
      ...(config?.routing && { routes: routesOf(config.routing, Date.now()) }),
      problems,
    },
    { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
