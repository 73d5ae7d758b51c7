/**
 * The one error type of the worker. Every failure a caller can see is an ApiError with one
 * of these codes; error-response.ts maps each code to the wire format of the route that failed.
 * `message` goes to the caller, so it never holds secrets or message content; `detail` is for
 * the log line only.
 */
export type ErrorCode =
  | "invalid_json"
  | "invalid_request"
  | "invalid_form"
  | "unsupported_media_type"
  | "payload_too_large"
  | "incomplete_body"
  | "body_timeout"
  | "limit_exceeded"
  | "nesting_too_deep"
  | "missing_credentials"
  | "invalid_credentials"
  | "auth_not_configured"
  | "not_found"
  | "model_not_found"
  | "method_not_allowed"
  | "rate_limited"
  | "upstream_error"
  | "upstream_timeout"
  | "upstream_unavailable"
  | "upstream_rate_limited"
  | "misconfigured"
  | "internal_error";

export interface ApiErrorOptions {
  /** The request field at fault, as a dotted path. */
  param?: string;
  /** Seconds, sent as Retry-After on 429 and 503. */
  retryAfter?: number;
  /** Internal reason for the log; never sent to the caller. */
  detail?: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly param: string | undefined;
  readonly retryAfter: number | undefined;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message: string, options: ApiErrorOptions = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.param = options.param;
    this.retryAfter = options.retryAfter;
    this.detail = options.detail;
  }
}

/** What a thrown value says of itself, for a log line's detail. */
export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Anything thrown that is not an ApiError is a bug: the caller learns only that it happened. */
export const asApiError = (error: unknown): ApiError =>
  error instanceof ApiError
    ? error
    : new ApiError("internal_error", "Internal error.", { detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
