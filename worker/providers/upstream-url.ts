import type { Config } from "../config.ts";
import { ApiError } from "../http/api-error.ts";

/** UPSTREAM_BASE_URL, required by the providers that call a model server over HTTP. */
export function upstreamUrl(config: Config): string {
  const base = config.upstream.baseUrl;
  if (!base) throw new ApiError("misconfigured", `MODEL_PROVIDER ${config.provider} needs UPSTREAM_BASE_URL.`, { detail: "UPSTREAM_BASE_URL is not set" });
  return base;
}
