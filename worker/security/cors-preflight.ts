import type { WorkerRequest } from "../http/worker-request.ts";
import { configIfValid, type Env } from "../config.ts";
import { allowedOrigin } from "./allowed-origin.ts";

/** How long a browser may reuse a preflight answer: short, so removing an origin takes effect soon. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Answers a CORS preflight from an origin in CORS_ALLOW_ORIGINS. Anything else falls through
 * to the routes, which answer OPTIONS with 404 or 405 and no CORS headers, so a browser on
 * any other origin is refused: IMS calls server to server and needs no CORS at all.
 */
export function corsPreflight(request: WorkerRequest, env: Env): Response | undefined {
  if (request.method !== "OPTIONS") return undefined;
  const origin = allowedOrigin(request, configIfValid(env)?.corsOrigins ?? []);
  if (origin === undefined) return undefined;
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "POST, GET",
      "access-control-allow-headers": "authorization, content-type, api-key",
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
      vary: "Origin",
    },
  });
}
