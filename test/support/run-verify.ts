import { execFile } from "node:child_process";
import { join } from "node:path";
import { root } from "./paths.ts";

/** The bundled command, as the package ships it (built by test/support/build-verify.ts). */
export const verifyBin = join(root, "dist", "ims-llm-verify.js");

export interface VerifyRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ims-llm-verify` as a child process. Asynchronously: the endpoints under test may live
 * in this very process and must keep answering while it runs.
 */
export function runVerify(args: readonly string[], bin = verifyBin): Promise<VerifyRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
