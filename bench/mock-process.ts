import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";

export interface MockProcess {
  port: number;
  pid: number;
  stop: () => Promise<void>;
}

/** Starts bench/mock-upstream.ts in its own Node process and waits for its port. */
export async function startMockProcess(apiKey: string): Promise<MockProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "mock-upstream.ts"), "--key", apiKey], { stdio: ["ignore", "pipe", "inherit"] });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the mock upstream exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return { port, pid: child.pid!, stop };
}
