// Set to false by the worker's build (wrangler.toml [define]); undefined everywhere else.
declare const IMS_SCHEMA_DOCS: false | undefined;

/**
 * Whether the contracts carry their descriptions and JSON Schema metadata. Only the schema
 * generator reads them, so the worker's build turns this off and the minifier drops every
 * `docs && ...` with its text: validation is the same either way. A file without imports,
 * because esbuild inlines a constant into other modules only from such a file.
 */
export const docs: boolean = typeof IMS_SCHEMA_DOCS === "undefined";
