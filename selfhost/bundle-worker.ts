// The worker exactly as `wrangler deploy` ships it (`--dry-run --outdir`), with the settings
// wrangler.toml gives it. The tests, the bench and the self-hosted server all run this artifact,
// never the sources.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export interface WorkerBundle {
  /** The module `wrangler deploy` would upload. */
  modulePath: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** wrangler.toml [vars]. */
  vars: Record<string, string>;
  /** wrangler.toml [assets]: the published schemas' directory (absolute) and the binding that serves them. */
  assets: { directory: string; binding: string };
  /** The module's bytes, for size reports. */
  bytes: number;
}

export const projectRoot = join(import.meta.dirname, "..");

/** `wrangler deploy --dry-run --outdir outdir` in `source`, with `extraArgs` (e.g. --minify). */
export function wranglerDryRun(source: string, outdir: string, extraArgs: readonly string[] = []): Buffer {
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(process.execPath, [join(projectRoot, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outdir, ...extraArgs], {
    cwd: source,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return readFileSync(join(outdir, "index.js"));
}

/** Bundles the worker in `source` (a checkout) into `outdir` and reads its wrangler.toml settings. */
export function bundleWorker(outdir: string, source = projectRoot): WorkerBundle {
  const module = wranglerDryRun(source, outdir);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(source, "wrangler.toml"));
  const vars = Object.fromEntries(Object.entries(workerOptions.bindings ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  // Typed loosely by wrangler; these two fields are what `wrangler deploy` reads from [assets].
  const { directory, binding } = (workerOptions.assets ?? {}) as { directory?: string; binding?: string };
  if (!directory || !binding) throw new Error("wrangler.toml has no [assets] directory and binding: the published schemas would be missing");
  return {
    modulePath: join(outdir, "index.js"),
    compatibilityDate: String(workerOptions.compatibilityDate),
    compatibilityFlags: Array.isArray(workerOptions.compatibilityFlags) ? workerOptions.compatibilityFlags.map(String) : [],
    vars,
    assets: { directory, binding },
    bytes: module.length,
  };
}
