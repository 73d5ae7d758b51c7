import type { WorkerRequest } from "../http/worker-request.ts";
import { openapi, schemas, version } from "../../contracts/json-schema/index.ts";
import { ApiError } from "../http/api-error.ts";

// Published artifacts may be fetched by partners' CI from anywhere, so they are public and cacheable.
const PUBLIC = { "access-control-allow-origin": "*", "cache-control": "public, max-age=300" };
const SCHEMA_TYPE = "application/schema+json";

/** GET /schemas/: what is published, with each schema's $id and title. */
export const schemaIndex = (request: WorkerRequest) =>
  Response.json(
    {
      version,
      openapi: new URL("/openapi.json", request.url).href,
      schemas: Object.entries(schemas).map(([name, schema]) => ({
        name,
        $id: schema.$id,
        title: schema.title,
        url: new URL(`/schemas/${name}.json`, request.url).href,
      })),
    },
    { headers: PUBLIC },
  );

/** GET /schemas/<name>.json: one published JSON Schema, exactly as committed in contracts/json-schema. */
export function schemaFile(request: WorkerRequest): Response {
  const name = request.params.name ?? "";
  const schema = Object.hasOwn(schemas, name) ? schemas[name] : undefined;
  if (!schema) throw new ApiError("not_found", `No schema named ${name}. See /schemas/.`);
  return new Response(JSON.stringify(schema, null, 2), { headers: { ...PUBLIC, "content-type": SCHEMA_TYPE } });
}

/** GET /openapi.json: both routes, referencing the schemas above. */
export const openapiDocument = () => new Response(JSON.stringify(openapi, null, 2), { headers: { ...PUBLIC, "content-type": "application/json" } });
