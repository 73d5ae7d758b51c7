import { readConfig, type Config, type Env } from "../config.ts";
import { CONTRACT_VERSION } from "../../contracts/version.ts";
import { ApiError } from "../http/api-error.ts";
import type { Routing } from "../routing/parse-models.ts";
import { coolingDown } from "../routing/target-health.ts";

/** The routing table as an operator checks it: names, providers, where, which secret; never a secret's value. */
const routesOf = (routing: Routing, now: number) =>
  Object.fromEntries(
    [...routing.routes.values()].map((route) => [
      route.name,
      {
        ...(route.hedgeAfterMs !== undefined && { hedgeAfterMs: route.hedgeAfterMs }),
        ...(route.keyNames && { keys: route.keyNames }),
        targets: route.tiers.map((tier) =>
          tier.map((target) => ({
            name: target.name,
            provider: target.config.provider,
            ...(target.config.upstream.baseUrl !== undefined && { baseUrl: target.config.upstream.baseUrl }),
            ...(target.config.upstream.model !== undefined && { model: target.config.upstream.model }),
            ...(target.keyName !== undefined && { key: target.keyName }),
            ...(tier.length > 1 && { weight: target.weight }),
            ...(coolingDown(target, now) && { coolingDown: true }),
          })),
        ),
      },
    ]),
  );

const auth = (config: Config) => ({
  openai: config.apiKeys.length > 0 ? "keys" : config.allowUnauthenticated ? "open" : "closed",
  alibaba: config.imsTokens.length > 0 ? "tokens" : config.allowUnauthenticated ? "open" : "closed",
});

/**
 * GET /health: liveness, plus the non-secret facts an operator checks first after a deploy.
 * Settings that are wrong (a bad MODELS table above all) are reported here, by the same
 * message a call would get, so a deploy can be checked before IMS is pointed at it.
 */
export function health(_request: Request, env: Env): Response {
  let config: Config;
  try {
    config = readConfig(env);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return Response.json({ status: "misconfigured", contract: CONTRACT_VERSION, error: error.message }, { status: 503 });
  }
  return Response.json({
    status: "ok",
    contract: CONTRACT_VERSION,
    provider: config.provider,
    auth: auth(config),
    ...(config.routing && { routes: routesOf(config.routing, Date.now()) }),
  });
}
