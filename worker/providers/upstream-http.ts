// Calling a model server over HTTP, as the openai and spec2 providers do: where it lives, the
// call itself, and what its error statuses mean, all as ApiErrors.
import type { Config } from "../config.ts";
import { ApiError, messageOf } from "../http/api-error.ts";
import { needsUpstreamUrl } from "../readiness.ts";
import { reportedError } from "./reported-error.ts";

/** Enough of an error body to find its type and code; the rest is not read. */
const MAX_ERROR_BODY_CHARS = 4096;

/** UPSTREAM_BASE_URL, required by the providers that call a model server over HTTP. */
export function upstreamUrl(config: Config): string {
  const base = config.upstream.baseUrl;
  if (!base) throw new ApiError("misconfigured", needsUpstreamUrl(config.provider), { detail: "UPSTREAM_BASE_URL is not set" });
  return base;
}

/**
 * fetch() to a model server, with failures as ApiErrors: a connection that cannot be made is
 * "unavailable" (retried once before the first token), an error status is mapped by
 * upstreamHttpError. An abort is rethrown as its reason, so a timeout stays a timeout.
 */
export async function upstreamFetch(url: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    // A redirect is refused, not followed: it could lead the upstream key and the conversation
    // to a host UPSTREAM_BASE_URL's checks never saw.
    response = await fetch(url, { ...init, signal, redirect: "manual" });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new ApiError("upstream_unavailable", "The model server could not be reached.", { detail: `fetch failed: ${messageOf(error)}` });
  }
  if (!response.ok) throw await upstreamHttpError(response);
  return response;
}

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
async function upstreamHttpError(response: Response): Promise<ApiError> {
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
