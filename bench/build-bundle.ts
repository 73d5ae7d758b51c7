import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { root } from "../test/support/paths.ts";

export interface Bundle {
  /** The module `wrangler deploy` would upload (not minified, as wrangler.toml deploys it). */
  modulePath: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** wrangler.toml [vars]. */
  vars: Record<string, string>;
  size: { bytes: number; minifiedBytes: number; minifiedGzipBytes: number };
}

const wranglerBin = join(root, "node_modules", "wrangler", "bin", "wrangler.js");

function dryRun(outdir: string, extra: string[]) {
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(process.execPath, [wranglerBin, "deploy", "--dry-run", "--outdir", outdir, ...extra], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return readFileSync(join(outdir, "index.js"));
}

/**
 * Bundles the worker exactly as `wrangler deploy` does (`--dry-run --outdir`), plus a
 * minified build whose gzip size is what the bundle budget counts.
 */
export function buildBundle(): Bundle {
  const outdir = join(root, ".build", "bench", "worker");
  const module = dryRun(outdir, []);
  const minified = dryRun(join(root, ".build", "bench", "minified"), ["--minify"]);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
  const vars = Object.fromEntries(Object.entries(workerOptions.bindings ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  return {
    modulePath: join(outdir, "index.js"),
    compatibilityDate: String(workerOptions.compatibilityDate),
    compatibilityFlags: Array.isArray(workerOptions.compatibilityFlags) ? workerOptions.compatibilityFlags.map(String) : [],
    vars,
    size: { bytes: module.length, minifiedBytes: minified.length, minifiedGzipBytes: gzipSync(minified).length },
  };
}
