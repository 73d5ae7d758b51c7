import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

export interface WorkerdProcess {
  child: ChildProcess;
  /** Resolves once the socket named "http" listens, with its port (0 for a Unix socket) and the inspector's, if asked for. */
  listening: Promise<{ port: number; inspectorPort: number | undefined }>;
}

/** Seconds to wait for workerd to listen before giving up: a cold start on a busy machine takes a few. */
const START_TIMEOUT_MS = 30_000;

/**
 * Starts `workerd serve config` with its output on pipes and its control channel (fd 3), on
 * which it reports each socket's port as JSON once listening.
 */
export function spawnWorkerd(workerd: string, configPath: string, options: { env?: NodeJS.ProcessEnv; inspector?: boolean } = {}): WorkerdProcess {
  const inspectorArgs = options.inspector ? ["--inspector-addr=127.0.0.1:0"] : [];
  const child = spawn(workerd, ["serve", configPath, "--control-fd=3", ...inspectorArgs], { stdio: ["ignore", "pipe", "pipe", "pipe"], env: options.env ?? process.env });
  const listening = new Promise<{ port: number; inspectorPort: number | undefined }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`workerd did not listen within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`workerd exited with ${signal ?? code} before listening`));
    });
    child.once("error", reject);
    let port: number | undefined;
    let inspectorPort: number | undefined;
    createInterface({ input: child.stdio[3] as Readable }).on("line", (line) => {
      const message = JSON.parse(line) as { event?: string; socket?: string; port?: number };
      if (message.event === "listen" && message.socket === "http") port = message.port;
      if (message.event === "listen-inspector") inspectorPort = message.port;
      if (port !== undefined && (inspectorPort || !options.inspector)) {
        clearTimeout(timer);
        resolve({ port, inspectorPort });
      }
    });
  });
  // Awaited by the caller; a rejection nobody waits for (a failure after the caller gave up) is not a crash.
  listening.catch(() => undefined);
  return { child, listening };
}
