import { ApiError } from "../http/api-error.ts";
import { isRecord } from "../is-record.ts";

/**
 * What of a provider's error code may be repeated: a short token of letters (`invalid_api_key`,
 * `Throttling.RateQuota`) or a short number (an HTTP status, a numeric code such as `1214`).
 * Digits among letters are refused, since keys and request ids mix the two; anything else
 * (free text, which may echo the conversation or a key) is never repeated, only its length.
 */
const SAFE_TOKEN = /^(?:[A-Za-z_.:-]{1,64}|\d{1,8})$/;

/** How providers name a rate limit: OpenAI and Groq (rate_limit_exceeded), DashScope (Throttling.*), Gemini (429, RESOURCE_EXHAUSTED). */
const RATE_LIMIT = /rate.?limit|throttl|too.?many|exhausted|429/i;

/**
 * An in-stream rate limit carries no Retry-After header: one second asks a client to back off
 * without leaving a voice call silent for long.
 */
const IN_STREAM_RETRY_AFTER_S = 1;

const tokenOf = (value: unknown) => {
  const text = typeof value === "number" ? String(value) : value;
  return typeof text === "string" && SAFE_TOKEN.test(text) ? text : undefined;
};

/** A field as the log may hold it: a safe token as sent, nothing when absent, else only its length (or its type, if it is not text). */
const logged = (value: unknown, token: string | undefined) =>
  token ?? (value == null || value === "" ? "" : `<${typeof value === "string" ? value.length : typeof value}>`);

/**
 * The code (else the type) an error object names, if it is a safe token, and both for the log: OpenAI's
 * `{error: {code, type}}`, DashScope's native `{code}` / `{Code}`, a bare `{code, type}`.
 */
export function reportedKind(body: unknown): { kind: string | undefined; detail: string } {
  const error = isRecord(body) && body.error !== undefined ? body.error : body;
  if (!isRecord(error)) {
    const kind = tokenOf(error);
    return { kind, detail: `code=${logged(error, kind)}` };
  }
  const type = tokenOf(error.type) ?? tokenOf(error.status);
  const code = tokenOf(error.code) ?? tokenOf(error.Code);
  return { kind: code ?? type, detail: `type=${logged(error.type ?? error.status, type)} code=${logged(error.code ?? error.Code, code)}` };
}

/**
 * The ApiError for an error the model server reported: in a reply (an `event: error`, an
 * `{"error": ...}` object, `finish_reason: "error"`, a 200 answered with an error body), or
 * with an error status. Its code reaches the caller's message and the log. A 429, or a code
 * that names a rate limit, is a 429 with Retry-After; a 5xx is "unavailable" (retried once
 * before the first token); anything else (a wrong key or model is this deployment's problem,
 * not the caller's) is a 502 too.
 */
export function reportedError(body: unknown, where: string, status?: number, retryAfter = IN_STREAM_RETRY_AFTER_S): ApiError {
  const { kind, detail: said } = reportedKind(body);
  const names = [status && `HTTP ${status}`, kind].filter(Boolean).join(", ");
  const named = names && ` (${names})`;
  const detail = body === undefined ? where : `${where} ${said}`;
  if (status === 429 || (status === undefined && kind !== undefined && RATE_LIMIT.test(kind))) {
    return new ApiError("upstream_rate_limited", `The model server is rate limiting this worker${named}; retry later.`, { detail, retryAfter });
  }
  if (status !== undefined && status >= 500) return new ApiError("upstream_unavailable", `The model server failed${named}.`, { detail });
  return new ApiError("upstream_error", `The model server reported an error${named}.`, { detail });
}
