// CORS for browser callers on the origins in CORS_ALLOW_ORIGINS: the preflight answer and the
// headers on every other answer. IMS calls server to server and needs none of it.
import type { WorkerRequest } from "../http/worker-request.ts";
import { configIfValid, type Env } from "../config.ts";

/** How long a browser may reuse a preflight answer: short, so removing an origin takes effect soon. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The request's Origin when CORS_ALLOW_ORIGINS lets it in (exactly, or by "*"), else undefined. */
function allowedOrigin(request: Request, allowed: readonly string[]): string | undefined {
  const origin = request.headers.get("origin");
  if (origin === null || allowed.length === 0) return undefined;
  return allowed.includes("*") || allowed.includes(origin) ? origin : undefined;
}

/**
 * Answers a CORS preflight from an origin in CORS_ALLOW_ORIGINS. Anything else falls through
 * to the routes, which answer OPTIONS with 404 or 405 and no CORS headers, so a browser on
 * any other origin is refused.
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
