import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
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

function dryRun(source: string, outdir: string, extra: string[]) {
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(process.execPath, [wranglerBin, "deploy", "--dry-run", "--outdir", outdir, ...extra], {
    cwd: source,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return readFileSync(join(outdir, "index.js"));
}

/**
 * Bundles the worker exactly as `wrangler deploy` does (`--dry-run --outdir`), plus a
 * minified build whose gzip size is what the bundle budget counts.
 */
export function buildBundle(source = root, into = join(root, ".build", "bench")): Bundle {
  const outdir = join(into, "worker");
  const module = dryRun(source, outdir, []);
  const minified = dryRun(source, join(into, "minified"), ["--minify"]);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(source, "wrangler.toml"));
  const vars = Object.fromEntries(Object.entries(workerOptions.bindings ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  return {
    modulePath: join(outdir, "index.js"),
    compatibilityDate: String(workerOptions.compatibilityDate),
    compatibilityFlags: Array.isArray(workerOptions.compatibilityFlags) ? workerOptions.compatibilityFlags.map(String) : [],
    vars,
    size: { bytes: module.length, minifiedBytes: minified.length, minifiedGzipBytes: gzipSync(minified).length },
  };
}

/**
 * The worker as it was at a git ref, bundled the same way, so one interleaved run can measure
 * a change against what it replaces. The sources are exported into .build (never a checkout).
 */
export function buildBundleAt(ref: string): Bundle {
  const into = join(root, ".build", "bench", "baseline");
  const source = join(into, "src");
  rmSync(into, { recursive: true, force: true });
  mkdirSync(source, { recursive: true });
  const archive = execFileSync("git", ["archive", "--format=tar", ref], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", source], { input: archive });
  return buildBundle(source, into);
}
