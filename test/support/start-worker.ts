import { join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { builtWorkerDir, root } from "./paths.ts";

export interface RunningWorker {
  /** http://127.0.0.1:<port>, through Miniflare's entry worker (as `wrangler dev` serves it). */
  url: string;
  /**
   * The worker's own socket, with no Miniflare entry worker in between: as on Cloudflare, a
   * client that disconnects aborts request.signal here (the entry worker does not pass that on).
   */
  directUrl: string;
  mf: Miniflare;
  dispose: () => Promise<void>;
}

/** Credentials the tests configure; never used outside them. */
export const TEST_API_KEY = "sk-test-key-1";
export const TEST_IMS_TOKEN = "test-ims-token-1";

export interface WorkerOptions {
  /** Binds AI to a stand-in for the Workers AI binding that forwards run() to this URL. */
  aiUpstreamUrl?: string;
  /** Receives each line the worker logs (console.log / console.error); by default they are dropped unless WORKER_LOGS=1. */
  onLog?: (line: { message: string; level: string }) => void;
  /** Rate Limiting bindings, as Miniflare's `ratelimits` option takes them. */
  ratelimits?: Record<string, { namespace_id: string; simple: { limit: number; period?: 10 | 60 } }>;
}

const AI_STAND_IN = "ai-stand-in";

/**
 * Starts the bundled worker in workerd through Miniflare, listening on 127.0.0.1, with the
 * compatibility settings and vars of wrangler.toml and `vars` on top; `options` adds
 * bindings such as ratelimits, or log handlers.
 */
export async function startWorker(vars: Record<string, string> = {}, options: WorkerOptions = {}): Promise<RunningWorker> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
  const worker = {
    name: "ims-llm-edge",
    modules: true,
    scriptPath: join(builtWorkerDir, "index.js"),
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: workerOptions.compatibilityFlags,
    // The tests' upstreams are real servers on 127.0.0.1, which production refuses.
    bindings: { ...(workerOptions.bindings as Record<string, string>), API_KEYS: TEST_API_KEY, IMS_TOKENS: TEST_IMS_TOKEN, ALLOW_PRIVATE_UPSTREAM: "true", ...vars },
    ...(options.ratelimits && { ratelimits: options.ratelimits }),
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    assets: workerOptions.assets,
    ...(options.aiUpstreamUrl && { wrappedBindings: { AI: { scriptName: AI_STAND_IN, bindings: { UPSTREAM_URL: options.aiUpstreamUrl } } } }),
  };
  // A wrapped binding runs inside the worker that uses it, under that worker's compatibility date.
  const aiStandIn = { name: AI_STAND_IN, modules: true, scriptPath: join(root, "test", "support", "ai-stand-in.js") };
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    workers: options.aiUpstreamUrl ? [worker, aiStandIn] : [worker],
    // The worker's log lines go to onLog, or to the test output only with WORKER_LOGS=1: one
    // line per request would bury the test report. Miniflare checks that this returns nothing.
    handleStructuredLogs: (line: { message: string; level: string }) => {
      if (options.onLog) options.onLog(line);
      else if (process.env.WORKER_LOGS) console.log(line.message);
    },
  });
  const url = (await mf.ready).origin;
  const directUrl = (await mf.unsafeGetDirectURL()).origin;
  return { url, directUrl, mf, dispose: () => mf.dispose() };
}
