import { Router } from "itty-router";
import type { WorkerRequest } from "./http/worker-request.ts";
import type { Env } from "./config.ts";
import { ApiError, asApiError } from "./http/api-error.ts";
import { alibabaErrorResponse, openaiErrorResponse } from "./http/error-response.ts";
import { alibabaText } from "./routes/alibaba-text.ts";
import { chatCompletions } from "./routes/chat-completions.ts";
import { health } from "./routes/health.ts";
import { openapiDocument, schemaFile, schemaIndex } from "./routes/schemas.ts";
import { RequestLog } from "./stream/request-log.ts";

/** The Spec 2 route is the only one whose callers expect Alibaba-style errors. */
const isAlibabaRoute = (request: WorkerRequest) => new URL(request.url).pathname === "/";

function errorResponse(error: unknown, request: WorkerRequest): Response {
  const apiError = asApiError(error);
  // A request whose model call already wrote its line (a failed reply) is not logged twice.
  RequestLog.of(request).fail(apiError);
  return isAlibabaRoute(request) ? alibabaErrorResponse(apiError, request.requestId) : openaiErrorResponse(apiError, request.requestId);
}

const methodNotAllowed = () => {
  throw new ApiError("method_not_allowed", "This route only accepts POST.");
};
const notFound = (request: WorkerRequest) => {
  throw new ApiError("not_found", `No route for ${request.method} ${new URL(request.url).pathname}. Spec 1 is POST <base>/chat/completions, Spec 2 is POST /.`);
};

export const router = Router<WorkerRequest, [Env, ExecutionContext]>({
  before: [
    (request) => {
      request.requestId = crypto.randomUUID();
    },
  ],
  catch: errorResponse,
});

router
  // IMS appends /chat/completions to whatever base URL was configured: any prefix, doubled slashes.
  .post("*/chat/completions", chatCompletions)
  .all("*/chat/completions", methodNotAllowed)
  .post("/", alibabaText)
  .get("/health", health)
  .get("/schemas", schemaIndex)
  .get("/schemas/:name.json", schemaFile)
  .get("/openapi.json", openapiDocument)
  .all("/", methodNotAllowed)
  .all("*", notFound);
