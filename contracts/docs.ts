import * as z from "zod/mini";

export { docs } from "./schema-docs.ts";

/** `schema` with a description or metadata attached, written `doc(schema, docs && ...)`. */
export function doc<T extends z.ZodMiniType>(schema: T, meta: string | z.core.GlobalMeta | false): T {
  return meta ? schema.check(typeof meta === "string" ? z.describe(meta) : z.meta(meta)) : schema;
}
