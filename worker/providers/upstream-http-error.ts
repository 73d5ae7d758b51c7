import { reportedError } from "./reported-error.ts";
import type { ApiError } from "../http/api-error.ts";

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

/**
 * The ApiError for a model server that answered with an error status, mapped as any error it
 * reports (reportedError), with its Retry-After passed on. Only the body's type and code are
 * read, never its message, which may quote the conversation.
 */
export async function upstreamHttpError(response: Response): Promise<ApiError> {
  const text = (await response.text().catch(() => "")).slice(0, MAX_ERROR_BODY_CHARS);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (an HTML page from a proxy, an empty body): its size is all the log needs.
    body = undefined;
  }
  const where = body === undefined ? `upstream HTTP ${response.status} non-JSON body (${text.length} chars)` : `upstream HTTP ${response.status}`;
  return reportedError(body, where, response.status, retryAfterOf(response.headers.get("retry-after")));
}
