// npm start: serves both IMS specs locally with wrangler dev and the demo model.
// With no .dev.vars, it passes local-only credentials and prints them, so a fresh
// checkout works without creating any file. These keys exist only on this machine.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

const LOCAL_API_KEY = "sk-local-ims-llm-edge";
const LOCAL_IMS_TOKEN = "local-ims-token";
const port = process.env.PORT ?? "8787";

const args = ["dev", "--port", port, "--ip", "127.0.0.1", ...process.argv.slice(2)];
if (existsSync(".dev.vars")) {
  console.log("Using settings from .dev.vars.");
} else {
  args.push("--var", `API_KEYS:${LOCAL_API_KEY}`, "--var", `IMS_TOKENS:${LOCAL_IMS_TOKEN}`);
  console.log(`
ims-llm-edge (demo model) on http://127.0.0.1:${port}
  Spec 1  base URL http://127.0.0.1:${port}/v1   API key ${LOCAL_API_KEY}
  Spec 2  URL      http://127.0.0.1:${port}/     Token   ${LOCAL_IMS_TOKEN}
  These local-only credentials are used because there is no .dev.vars.
`);
}
const child = spawn("wrangler", args, { stdio: "inherit", shell: process.platform === "win32" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
