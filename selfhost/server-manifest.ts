/** What the built server directory holds, written by build-server.ts and read by the server at start. Paths are relative to the directory unless absolute. */
export interface ServerManifest {
  /** The worker bundle. */
  module: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** wrangler.toml [vars]: the worker's values where the environment sets none, as on Cloudflare. */
  vars: Record<string, string>;
  /** The published schemas, and the binding name wrangler.toml gives them. */
  assets: { directory: string; binding: string };
  /** The workerd binary. */
  workerd: string;
}

export const MANIFEST_FILE = "server.json";
