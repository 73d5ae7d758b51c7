import { join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { builtWorkerDir, root } from "./paths.ts";

export interface RunningWorker {
  /** http://127.0.0.1:<port> */
  url: string;
  mf: Miniflare;
  dispose: () => Promise<void>;
}

/** Credentials the tests configure; never used outside them. */
export const TEST_API_KEY = "sk-test-key-1";
export const TEST_IMS_TOKEN = "test-ims-token-1";

/** Miniflare options some tests add; spelled out because Miniflare's own option types are inferred loosely. */
export interface WorkerExtras {
  ratelimits?: Record<string, { namespace_id: string; simple: { limit: number; period?: 10 | 60 } }>;
  handleStructuredLogs?: (log: { timestamp: number; level: string; message: string }) => void;
}

/**
 * Starts the bundled worker in workerd through Miniflare, listening on 127.0.0.1, with the
 * compatibility settings and vars of wrangler.toml and `vars` on top; `options` adds
 * bindings such as ratelimits, or log handlers.
 */
export async function startWorker(vars: Record<string, string> = {}, options: WorkerExtras = {}): Promise<RunningWorker> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(builtWorkerDir, "index.js"),
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: workerOptions.compatibilityFlags,
    // The tests' upstreams are real servers on 127.0.0.1, which production refuses.
    bindings: { ...(workerOptions.bindings as Record<string, string>), API_KEYS: TEST_API_KEY, IMS_TOKENS: TEST_IMS_TOKEN, ALLOW_PRIVATE_UPSTREAM: "true", ...vars },
    host: "127.0.0.1",
    port: 0,
    ...options,
  });
  const url = (await mf.ready).origin;
  return { url, mf, dispose: () => mf.dispose() };
}
