import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { root } from "./paths.ts";

/** The interpreter CI installs python3-aiohttp for (see .ci/run). */
const PYTHON = "/usr/bin/python3";
/** Starting Python and importing aiohttp takes well under this on a busy machine. */
const START_TIMEOUT_MS = 15_000;

/** Starts test/fixtures/sample-spec2-server.py (the documentation's aiohttp sample) on 127.0.0.1. */
export async function startSampleServer(): Promise<{ url: string; close: () => void }> {
  const child = spawn(PYTHON, [join(root, "test", "fixtures", "sample-spec2-server.py")], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sample server did not start: ${stderr}`)), START_TIMEOUT_MS);
    child.once("exit", (code) => reject(new Error(`the sample server exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
  });
  return { url: `http://127.0.0.1:${port}/`, close: () => child.kill() };
}
