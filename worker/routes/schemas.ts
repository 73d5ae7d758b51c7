import type { Env } from "../config.ts";
import { ApiError } from "../http/api-error.ts";
import type { WorkerRequest } from "../http/worker-request.ts";

// Published artifacts may be fetched by partners' CI from anywhere, so they are public and cacheable.
const PUBLIC = { "access-control-allow-origin": "*", "cache-control": "public, max-age=300" };
/** Schema names are the generator's kebab-case file names; anything else never reaches the assets. */
const SCHEMA_NAME = /^(?:openai|alibaba)-[a-z-]+$/;

/** One file of contracts/json-schema, served from the worker's static assets with our headers. */
async function published(env: Env, request: WorkerRequest, file: string, contentType: string): Promise<Response> {
  if (!env.ASSETS) throw new ApiError("not_found", "This deployment does not publish its schemas (no ASSETS binding).");
  const asset = await env.ASSETS.fetch(new URL(`/${file}`, request.url));
  if (!asset.ok) throw new ApiError("not_found", `No published file ${file}. See /schemas/.`);
  return new Response(asset.body, { headers: { ...PUBLIC, "content-type": contentType } });
}

/** GET /schemas/: what is published, with each schema's $id, title and path. */
export const schemaIndex = (request: WorkerRequest, env: Env) => published(env, request, "index.json", "application/json");

/** GET /schemas/<name>.json: one published JSON Schema, exactly as committed in contracts/json-schema. */
export function schemaFile(request: WorkerRequest, env: Env): Promise<Response> {
  const name = request.params.name ?? "";
  if (!SCHEMA_NAME.test(name)) throw new ApiError("not_found", `No schema named ${name}. See /schemas/.`);
  return published(env, request, `${name}.json`, "application/schema+json");
}

/** GET /openapi.json: both routes, referencing the schemas above. */
export const openapiDocument = (request: WorkerRequest, env: Env) => published(env, request, "openapi.json", "application/json");
