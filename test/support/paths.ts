import { join } from "node:path";

export const root = join(import.meta.dirname, "..", "..");
/** The self-hosted server as selfhost/build-server.ts builds it (test/support/build-worker.ts). */
export const builtServerDir = join(root, ".build", "test-server");
/** The worker bundle inside it, as `wrangler deploy` ships it. */
export const builtWorkerDir = join(builtServerDir, "worker");
