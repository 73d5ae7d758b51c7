import { ApiError } from "../http/api-error.ts";
import { upstreamHttpError } from "./upstream-http-error.ts";

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
    throw new ApiError("upstream_unavailable", "The model server could not be reached.", { detail: `fetch failed: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (!response.ok) throw await upstreamHttpError(response);
  return response;
}
