import type { Config } from "../config.ts";
import { ApiError } from "../http/api-error.ts";
import { needsUpstreamUrl } from "../readiness.ts";

/** UPSTREAM_BASE_URL, required by the providers that call a model server over HTTP. */
export function upstreamUrl(config: Config): string {
  const base = config.upstream.baseUrl;
  if (!base) throw new ApiError("misconfigured", needsUpstreamUrl(config.provider), { detail: "UPSTREAM_BASE_URL is not set" });
  return base;
}
