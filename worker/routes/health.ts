import { readConfig, type Env } from "../config.ts";
import { CONTRACT_VERSION } from "../../contracts/version.ts";

/** GET /health: liveness, plus the non-secret facts an operator checks first after a deploy. */
export function health(_request: Request, env: Env): Response {
  const config = readConfig(env);
  return Response.json({
    status: "ok",
    contract: CONTRACT_VERSION,
    provider: config.provider,
    auth: {
      openai: config.apiKeys.length > 0 ? "keys" : config.allowUnauthenticated ? "open" : "closed",
      alibaba: config.imsTokens.length > 0 ? "tokens" : config.allowUnauthenticated ? "open" : "closed",
    },
  });
}
