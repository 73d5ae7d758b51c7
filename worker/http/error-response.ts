import type { OpenAIErrorBody } from "../../contracts/openai/error-body.ts";
import type { AlibabaErrorBody } from "../../contracts/alibaba/error-body.ts";
import type { ApiError, ErrorCode } from "./api-error.ts";

interface WireMapping {
  status: number;
  /** OpenAI's `error.type`. */
  openaiType: string;
  /** Spec 2's `Code`, in the dotted PascalCase of Alibaba Cloud API errors. */
  alibabaCode: string;
}

// Exhaustive by type: adding an ErrorCode without its wire mapping does not compile.
export const wire: Readonly<Record<ErrorCode, WireMapping>> = {
  invalid_json: { status: 400, openaiType: "invalid_request_error", alibabaCode: "InvalidParameter.Malformed" },
  invalid_request: { status: 400, openaiType: "invalid_request_error", alibabaCode: "InvalidParameter" },
  invalid_form: { status: 400, openaiType: "invalid_request_error", alibabaCode: "InvalidParameter.Form" },
  unsupported_media_type: { status: 415, openaiType: "invalid_request_error", alibabaCode: "UnsupportedMediaType" },
  payload_too_large: { status: 413, openaiType: "invalid_request_error", alibabaCode: "RequestTooLarge" },
  incomplete_body: { status: 400, openaiType: "invalid_request_error", alibabaCode: "InvalidParameter.IncompleteBody" },
  body_timeout: { status: 408, openaiType: "invalid_request_error", alibabaCode: "RequestTimeout" },
  limit_exceeded: { status: 413, openaiType: "invalid_request_error", alibabaCode: "RequestTooLarge.Field" },
  nesting_too_deep: { status: 400, openaiType: "invalid_request_error", alibabaCode: "InvalidParameter.NestingTooDeep" },
  missing_credentials: { status: 401, openaiType: "authentication_error", alibabaCode: "InvalidToken.Missing" },
  invalid_credentials: { status: 401, openaiType: "authentication_error", alibabaCode: "InvalidToken" },
  auth_not_configured: { status: 503, openaiType: "server_error", alibabaCode: "ServiceUnavailable.AuthNotConfigured" },
  not_found: { status: 404, openaiType: "invalid_request_error", alibabaCode: "NotFound" },
  model_not_found: { status: 404, openaiType: "invalid_request_error", alibabaCode: "NotFound.Model" },
  method_not_allowed: { status: 405, openaiType: "invalid_request_error", alibabaCode: "MethodNotAllowed" },
  rate_limited: { status: 429, openaiType: "rate_limit_error", alibabaCode: "Throttling" },
  upstream_error: { status: 502, openaiType: "upstream_error", alibabaCode: "UpstreamError" },
  upstream_timeout: { status: 504, openaiType: "timeout_error", alibabaCode: "UpstreamTimeout" },
  // 502, not 503: the worker is up, the model server behind it is not (connection refused, 5xx).
  upstream_unavailable: { status: 502, openaiType: "upstream_error", alibabaCode: "UpstreamUnavailable" },
  upstream_rate_limited: { status: 429, openaiType: "rate_limit_error", alibabaCode: "Throttling.Upstream" },
  misconfigured: { status: 500, openaiType: "server_error", alibabaCode: "InternalError.Configuration" },
  internal_error: { status: 500, openaiType: "server_error", alibabaCode: "InternalError" },
};

export const statusOf = (error: ApiError) => wire[error.code].status;

export const openaiErrorBody = (error: ApiError): OpenAIErrorBody => ({
  error: { message: error.message, type: wire[error.code].openaiType, param: error.param ?? null, code: error.code },
});

export const alibabaErrorBody = (error: ApiError, requestId: string): AlibabaErrorBody => ({
  Code: wire[error.code].alibabaCode,
  Message: error.message,
  RequestId: requestId,
});

/** A day: longer is no advice a caller can act on, and an upstream's 1e300 must not print as 1e+300. */
const MAX_RETRY_AFTER_S = 86_400;

// x-request-id is the router's to set, on every answer.
const jsonResponse = (error: ApiError, body: unknown) => {
  const response = Response.json(body, { status: statusOf(error) });
  if (error.retryAfter !== undefined) response.headers.set("retry-after", String(Math.min(Math.ceil(error.retryAfter), MAX_RETRY_AFTER_S)));
  if (error.code === "method_not_allowed") response.headers.set("allow", "POST");
  return response;
};

export const openaiErrorResponse = (error: ApiError) => jsonResponse(error, openaiErrorBody(error));

export const alibabaErrorResponse = (error: ApiError, requestId: string) => jsonResponse(error, alibabaErrorBody(error, requestId));
