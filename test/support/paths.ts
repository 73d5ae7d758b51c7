import { join } from "node:path";

export const root = join(import.meta.dirname, "..", "..");
export const builtWorkerDir = join(root, ".build", "test-worker");
