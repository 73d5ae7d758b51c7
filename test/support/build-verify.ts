// Bundles ims-llm-verify into dist/ once, exactly as `npm pack` would ship it, so the tests run
// the command users get rather than its sources.
import { execFileSync } from "node:child_process";
import { root } from "./paths.ts";

export default function setup() {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
}
