import type { Config } from "../config.ts";
import { ApiError } from "../http/api-error.ts";
import { authorize } from "../http/authorize.ts";
import type { Provider } from "../providers/provider.ts";
import { selectProvider } from "../providers/select-provider.ts";
import type { RequestLog } from "../request-log.ts";
import { callOrder } from "./call-order.ts";
import { ANY_ROUTE } from "./parse-models.ts";
import { raceTargets } from "./race-targets.ts";

export interface ModelRequest {
  spec: "spec1" | "spec2";
  /** Spec 1: the request's model; Spec 2: the route its URL names ("" at the bare URL). */
  name: string;
  /** The key or token the caller was let in with. */
  credential: string | undefined;
  /** The conversation, which a pool keeps on one target. */
  conversation: string | undefined;
}

export interface ModelChoice {
  provider: Provider;
  /** The settings the reply runs under. */
  config: Config;
}

/**
 * The model step of a call: without MODELS, the deployment's one provider (as cheap as
 * before routing existed); with it, the route the request names, its credentials checked,
 * and its targets raced in the conversation's order.
 */
export function chooseModel(config: Config, request: ModelRequest, log: RequestLog): ModelChoice {
  const { routing } = config;
  if (!routing) {
    if (request.spec === "spec2" && request.name !== "") throw new ApiError("not_found", "Spec 2 is served at POST / (MODELS names no routes here).");
    return { provider: selectProvider(config), config };
  }
  // Spec 1 asks by model id and may fall to "*"; a Spec 2 URL names its route, so a typo is not answered by another.
  const route = request.spec === "spec1" ? (routing.routes.get(request.name) ?? routing.routes.get(ANY_ROUTE)) : routing.routes.get(request.name || ANY_ROUTE);
  if (!route) {
    const asked = request.spec === "spec1" ? `The model ${JSON.stringify(request.name)} does not exist` : `No Spec 2 route ${JSON.stringify(request.name || ANY_ROUTE)}`;
    throw new ApiError("model_not_found", `${asked} on this deployment (see /health for its routes).`, request.spec === "spec1" ? { param: "model" } : {});
  }
  const general = request.spec === "spec1" ? { accepted: routing.apiKeys, setting: "API_KEYS" } : { accepted: routing.imsTokens, setting: "IMS_TOKENS" };
  const rule = route.keys ? { accepted: route.keys, setting: `the keys of route ${route.name}` } : general;
  authorize(request.credential, { ...rule, allowUnauthenticated: route.keys === undefined && config.allowUnauthenticated });
  return { provider: raceTargets(route, callOrder(route, request.conversation), request.conversation, log), config: route.config };
}
