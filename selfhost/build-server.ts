// Builds the self-hosted server into one directory: the worker bundle `wrangler deploy` ships, the
// published schemas, the server itself (one JavaScript file, no TypeScript needed to run it) and a
// manifest of what wrangler.toml says the worker runs with. `npm run serve` builds it and runs it;
// the container image is this directory, workerd and Node.
//   node selfhost/build-server.ts --outdir DIR [--copy-workerd]
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundleWorker, projectRoot } from "./bundle-worker.ts";
import type { ServerManifest } from "./server-manifest.ts";
import { MANIFEST_FILE } from "./server-manifest.ts";

/** The workerd binary the project installs from npm. */
export const installedWorkerd = join(projectRoot, "node_modules", "workerd", "bin", "workerd");

export interface BuildOptions {
  /** Copy workerd into the directory (an image needs it there) instead of naming the installed one. */
  copyWorkerd?: boolean;
  /** The project's sources to build from (the bench builds a git ref's beside the working tree's). */
  source?: string;
}

export function buildServer(outdir: string, options: BuildOptions = {}): ServerManifest {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const source = options.source ?? projectRoot;
  const bundle = bundleWorker(join(outdir, "worker"), source);
  // Only the JSON files are published; the generator's bookkeeping beside them is not.
  const schemas = join(outdir, "schemas");
  mkdirSync(schemas);
  for (const file of readdirSync(bundle.assets.directory).filter((name) => name.endsWith(".json"))) copyFileSync(join(bundle.assets.directory, file), join(schemas, file));
  execFileSync(
    join(projectRoot, "node_modules", ".bin", "esbuild"),
    [join(source, "selfhost", "server.ts"), "--bundle", "--platform=node", "--format=esm", "--target=node20", "--log-level=warning", `--outfile=${join(outdir, "server.js")}`],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  let workerd = installedWorkerd;
  if (options.copyWorkerd) {
    copyFileSync(installedWorkerd, join(outdir, "workerd"));
    workerd = "workerd";
  }
  const manifest: ServerManifest = {
    module: "worker/index.js",
    compatibilityDate: bundle.compatibilityDate,
    compatibilityFlags: bundle.compatibilityFlags,
    vars: bundle.vars,
    assets: { directory: "schemas", binding: bundle.assets.binding },
    workerd,
  };
  writeFileSync(join(outdir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { outdir: { type: "string" }, "copy-workerd": { type: "boolean", default: false } } });
  if (!values.outdir) {
    console.error("usage: node selfhost/build-server.ts --outdir DIR [--copy-workerd]");
    process.exit(2);
  }
  buildServer(values.outdir, { copyWorkerd: values["copy-workerd"] });
}
