// npm run serve: builds the self-hosted server (the bundle `wrangler deploy` ships, on workerd)
// into .build/serve and runs it in this process. Settings come from the environment and .env.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildServer } from "./build-server.ts";
import { projectRoot } from "./bundle-worker.ts";

const outdir = join(projectRoot, ".build", "serve");
buildServer(outdir);
await import(pathToFileURL(join(outdir, "server.js")).href);
