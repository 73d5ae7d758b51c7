import type { WorkerRequest } from "../http/worker-request.ts";
import { configIfValid, type Env } from "../config.ts";
import { allowedOrigin } from "./allowed-origin.ts";

/**
 * Adds CORS headers to a response for an origin in CORS_ALLOW_ORIGINS. Once an allow-list
 * exists every answer varies by Origin, so caches never hand one origin's answer to another.
 * Responses that set their own policy (the public schemas) are left as they are.
 */
export function withCors(response: Response, request: WorkerRequest, env: Env): Response {
  // Broken settings open no origin; the route itself answers that they are broken.
  const allowed = configIfValid(env)?.corsOrigins ?? [];
  if (allowed.length === 0 || response.headers.has("access-control-allow-origin")) return response;
  // Re-wrapped rather than edited: headers of some responses are immutable. The body passes through unread.
  const wrapped = new Response(response.body, response);
  wrapped.headers.append("vary", "Origin");
  const origin = allowedOrigin(request, allowed);
  if (origin !== undefined) {
    wrapped.headers.set("access-control-allow-origin", origin);
    wrapped.headers.set("access-control-expose-headers", "x-request-id, retry-after");
  }
  return wrapped;
}
