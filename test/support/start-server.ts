import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface RunningServer {
  /** The front socket, http://127.0.0.1:<port>. */
  url: string;
  child: ChildProcess;
  /** The workerd under it: its only child process. */
  runtimePid: number;
  /** Every line the server wrote on stdout so far, parsed (each must be one JSON object). */
  lines: Record<string, unknown>[];
  /** Resolves with the exit status (or 128 + signal) once the server has exited. */
  exited: Promise<number>;
  /** SIGTERM, then SIGKILL if it is still running after `ms`. */
  stop: (ms?: number) => Promise<number>;
}

/** How long a server may take to answer its first request on a loaded two-core machine. */
const START_TIMEOUT_MS = 30_000;

/**
 * Starts a self-hosted server on 127.0.0.1 and a free port with exactly `env` as its settings (plus
 * PATH), as `command` (by default `node server.js` in a directory build-server.ts wrote), and waits
 * for its "listening" line.
 */
export async function startServer(env: Record<string, string>, command: { file: string; args: string[]; cwd?: string } | { dir: string }): Promise<RunningServer> {
  const { file, args, cwd } = "dir" in command ? { file: process.execPath, args: [join(command.dir, "server.js")], cwd: command.dir } : command;
  const child = spawn(file, args, { cwd, env: { PATH: process.env.PATH, HOST: "127.0.0.1", PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = new Promise<number>((resolve) => child.once("exit", (code, signal) => resolve(signal ? 128 + constants.signals[signal] : (code ?? 1))));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not listen within ${START_TIMEOUT_MS} ms\n${stderr}`)), START_TIMEOUT_MS);
    void exited.then((status) => reject(new Error(`the server exited with ${status} before listening\n${JSON.stringify(lines)}\n${stderr}`)));
    createInterface({ input: child.stdout! }).on("line", (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { notJson: text };
      }
      lines.push(line);
      if (line.event === "listening") {
        clearTimeout(timer);
        resolve(String(line.url));
      }
    });
  });
  const stop = async (ms = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const force = setTimeout(() => child.kill("SIGKILL"), ms);
    const status = await exited;
    clearTimeout(force);
    return status;
  };
  try {
    const url = await listening;
    const runtimePid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/)[0]);
    return { url, child, runtimePid, lines, exited, stop };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}
