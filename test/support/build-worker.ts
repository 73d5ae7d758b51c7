// Bundles the worker once, exactly as `wrangler deploy` would, so every test runs the
// artifact that ships rather than the sources.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { builtWorkerDir } from "./paths.ts";

export default function setup() {
  rmSync(builtWorkerDir, { recursive: true, force: true });
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", builtWorkerDir], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
}
