import * as z from "zod/mini";

import { docs } from "./schema-docs.ts";

export { docs };

/**
 * `schema` with a description or metadata attached, written `doc(schema, docs && ...)`. Testing
 * `docs` here too lets the worker's build drop zod's metadata code along with the texts.
 */
export function doc<T extends z.ZodMiniType>(schema: T, meta: string | z.core.GlobalMeta | false): T {
  return docs && meta ? schema.check(typeof meta === "string" ? z.describe(meta) : z.meta(meta)) : schema;
}
