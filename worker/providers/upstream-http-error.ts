import { ApiError } from "../http/api-error.ts";
import { isRecord } from "./is-record.ts";
import { upstreamErrorKind } from "./upstream-error-kind.ts";

/** Enough of an error body to find its type and code; the rest is not read. */
const MAX_ERROR_BODY_CHARS = 4096;

/** Retry-After as seconds: a number, or an HTTP date turned into the seconds until it. */
function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/** The type/code an error body names (OpenAI or Alibaba shape), never its message, which may quote the conversation. */
async function errorKindOf(response: Response): Promise<string> {
  const text = (await response.text().catch(() => "")).slice(0, MAX_ERROR_BODY_CHARS);
  try {
    const body: unknown = JSON.parse(text);
    const error = isRecord(body) && isRecord(body.error) ? body.error : body;
    if (isRecord(error)) return upstreamErrorKind(error);
  } catch {
    // Not JSON (an HTML page from a proxy, an empty body): its size is all the log needs.
  }
  return `non-JSON body (${text.length} chars)`;
}

/**
 * The ApiError for a model server that answered with an error status. 429 is passed on with
 * its Retry-After so the caller backs off; 5xx is "unavailable" (retried once before the first
 * token); anything else (401 from a wrong UPSTREAM_API_KEY, 404 from a wrong model) is this
 * deployment's problem, not the caller's, so it is a 502 too.
 */
export async function upstreamHttpError(response: Response): Promise<ApiError> {
  const detail = `upstream HTTP ${response.status} ${await errorKindOf(response)}`;
  if (response.status === 429) {
    return new ApiError("upstream_rate_limited", "The model server is rate limiting this worker; retry later.", { detail, retryAfter: retryAfterOf(response.headers.get("retry-after")) });
  }
  if (response.status >= 500) return new ApiError("upstream_unavailable", `The model server failed (HTTP ${response.status}).`, { detail });
  return new ApiError("upstream_error", `The model server refused the request (HTTP ${response.status}).`, { detail });
}
