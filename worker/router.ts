// The Router module alone: the package index also builds its response helpers (json, text, html,
// images) when imported, calls the bundler must keep although the worker uses none of them.
import { Router } from "itty-router/Router";
import type { WorkerRequest } from "./http/worker-request.ts";
import { configIfValid, parseConfig, type Env } from "./config.ts";
import { ApiError, asApiError } from "./http/api-error.ts";
import { drainBody } from "./http/drain-body.ts";
import { alibabaErrorResponse, openaiErrorResponse } from "./http/error-response.ts";
import { alibabaText } from "./routes/alibaba-text.ts";
import { chatCompletions } from "./routes/chat-completions.ts";
import { health } from "./routes/health.ts";
import { openapiDocument, schemaFile, schemaIndex } from "./routes/schemas.ts";
import { corsPreflight, withCors } from "./security/cors.ts";
import { meterFailedAuth } from "./security/rate-limit.ts";
import { RequestLog } from "./request-log.ts";
import { spec2Route } from "./routing/spec2-route.ts";

/** Spec 2's URLs ({prefix}/ and {prefix}/spec2/<route>) are the only ones whose callers expect Alibaba-style errors. */
const isAlibabaRoute = (request: WorkerRequest) => spec2Route(new URL(request.url).pathname) !== undefined;

/** A route closed for want of keys is logged once per isolate, not on every refused call. */
const closedRoutesLogged = new Set<string>();

/**
 * As much of a refused body as a route would have read, for as long. When the settings themselves
 * are broken (a refused UPSTREAM_EXTRA_BODY, say), the defaults: an unread body makes workerd close
 * the connection after the error, and a client that reuses it sees its next request fail.
 */
const drainLimits = (env: Env) => (configIfValid(env) ?? parseConfig({})).limits;

async function errorResponse(error: unknown, request: WorkerRequest, env: Env): Promise<Response> {
  const alibaba = isAlibabaRoute(request);
  const apiError = await meterFailedAuth(env, request, alibaba ? "alibaba" : "openai", asApiError(error));
  const { maxBodyBytes, bodyTimeoutMs } = drainLimits(env);
  await drainBody(request, maxBodyBytes, bodyTimeoutMs);
  // The per-request line carries the code; the setting to fix is named once, not on every call.
  if (apiError.code === "auth_not_configured" && !closedRoutesLogged.has(apiError.message)) {
    closedRoutesLogged.add(apiError.message);
    console.error(JSON.stringify({ level: "error", requestId: request.requestId, code: apiError.code, detail: apiError.message }));
  }
  // A request whose model call already wrote its line (a failed reply) is not logged twice.
  RequestLog.of(request).fail(apiError);
  return alibaba ? alibabaErrorResponse(apiError, request.requestId) : openaiErrorResponse(apiError);
}

const methodNotAllowed = () => {
  throw new ApiError("method_not_allowed", "This route only accepts POST.");
};
const notFound = (request: WorkerRequest) => {
  throw new ApiError("not_found", `No route for ${request.method} ${new URL(request.url).pathname}. Spec 1 is POST <base>/chat/completions, Spec 2 is POST / or POST /spec2/<route>.`);
};

export const router = Router<WorkerRequest, [Env, ExecutionContext]>({
  before: [
    (request) => {
      request.requestId = crypto.randomUUID();
    },
    corsPreflight,
  ],
  catch: errorResponse,
  // Every answer carries the id, set here alone: routes, the error mapping and the preflight leave it out.
  finally: [(response: Response, request) => void response.headers.set("x-request-id", request.requestId), withCors],
});

router
  // IMS appends /chat/completions to whatever base URL was configured: any prefix, doubled slashes.
  .post("*/chat/completions", chatCompletions)
  .all("*/chat/completions", methodNotAllowed)
  // HEAD as well: load balancers' HTTP health checks send it (Alibaba Cloud CLB's send HEAD or GET).
  .get("/health", health)
  .head("/health", health)
  .get("/schemas", schemaIndex)
  .get("/schemas/:name.json", schemaFile)
  .get("/openapi.json", openapiDocument)
  // IMS posts Spec 2 to exactly the URL configured: {prefix}/ or {prefix}/spec2/<route>.
  .post("*", (request, env: Env) => {
    const route = spec2Route(new URL(request.url).pathname);
    return route === undefined ? notFound(request) : alibabaText(request, env, route);
  })
  .all("*", (request) => (isAlibabaRoute(request) ? methodNotAllowed() : notFound(request)));
