import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { bundleWorker, projectRoot as root, wranglerDryRun, type WorkerBundle } from "../selfhost/bundle-worker.ts";

export interface Bundle extends WorkerBundle {
  size: { bytes: number; minifiedBytes: number; minifiedGzipBytes: number };
}

/**
 * Bundles the worker exactly as `wrangler deploy` does (`--dry-run --outdir`), plus a
 * minified build whose gzip size is what the bundle budget counts.
 */
export function buildBundle(source = root, into = join(root, ".build", "bench")): Bundle {
  const bundle = bundleWorker(join(into, "worker"), source);
  const minified = wranglerDryRun(source, join(into, "minified"), ["--minify"]);
  return { ...bundle, size: { bytes: bundle.bytes, minifiedBytes: minified.length, minifiedGzipBytes: gzipSync(minified).length } };
}

/** Bundles one of the bench's own workers (floor, copy, experiments) into a single module for workerd. */
export function bundleBenchWorker(entry: string, outfile: string): void {
  execFileSync(join(root, "node_modules", ".bin", "esbuild"), [entry, "--bundle", "--format=esm", `--outfile=${outfile}`, "--log-level=warning"]);
}

const baselineDir = join(root, ".build", "bench", "baseline");
/** Where buildBundleAt exports a ref's sources; the self-hosted server at that ref is built from them. */
export const baselineSource = join(baselineDir, "src");

/**
 * The worker as it was at a git ref, bundled the same way, so one interleaved run can measure
 * a change against what it replaces. The sources are exported into .build (never a checkout).
 */
export function buildBundleAt(ref: string): Bundle {
  rmSync(baselineDir, { recursive: true, force: true });
  mkdirSync(baselineSource, { recursive: true });
  const archive = execFileSync("git", ["archive", "--format=tar", ref], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", baselineSource], { input: archive });
  return buildBundle(baselineSource, baselineDir);
}
