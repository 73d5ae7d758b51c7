import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { installedWorkerd } from "../selfhost/build-server.ts";
import { renderWorkerdConfig } from "../selfhost/workerd-config.ts";
import { spawnWorkerd } from "../selfhost/workerd-process.ts";

export interface WorkerdOptions {
  /** The worker's single ES module (a bundle, as `wrangler deploy` uploads it). */
  modulePath: string;
  compatibilityDate: string;
  compatibilityFlags: readonly string[];
  /** Text bindings (wrangler vars and secrets). */
  vars: Record<string, string>;
  /** Opens V8's inspector on a loopback port, for reading the worker's heap. */
  inspector?: boolean;
  /** Flags for V8 (workerd's config `v8Flags`), e.g. --perf-basic-prof so a profiler can name JIT frames. */
  v8Flags?: readonly string[];
}

export interface WorkerdServer {
  url: string;
  pid: number;
  /** Milliseconds from spawning workerd to its socket listening. */
  listenMs: number;
  /** Milliseconds from spawning workerd to the worker's first answer (GET /health). */
  firstResponseMs: number;
  /** The worker's devtools WebSocket, when started with `inspector`. */
  inspectorUrl: string | undefined;
  stop: () => Promise<void>;
}

/** Lines of workerd's output kept to explain a failure. */
const KEPT_LOG_LINES = 40;

function keepTail(stream: Readable, lines: string[]) {
  createInterface({ input: stream }).on("line", (line) => {
    lines.push(line);
    if (lines.length > KEPT_LOG_LINES) lines.shift();
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Serves a worker module on bare `workerd serve` (no wrangler; the inspector only if asked) and waits until it answers. */
export async function startWorkerd(name: string, options: WorkerdOptions): Promise<WorkerdServer> {
  const configPath = join(dirname(options.modulePath), `${name}.capnp`);
  writeFileSync(
    configPath,
    renderWorkerdConfig({
      configPath,
      modulePath: options.modulePath,
      compatibilityDate: options.compatibilityDate,
      compatibilityFlags: options.compatibilityFlags,
      bindings: Object.entries(options.vars).map(([name, text]) => ({ name, text })),
      address: "127.0.0.1:0",
      // The mock upstream, and nothing else.
      allow: ["local"],
      ...(options.v8Flags && { v8Flags: options.v8Flags }),
    }),
  );
  const started = performance.now();
  const workerd = spawnWorkerd(installedWorkerd, configPath, { inspector: options.inspector ?? false });
  const child = workerd.child;
  const log: string[] = [];
  keepTail(child.stdout!, log);
  keepTail(child.stderr!, log);
  const stop = () => stopProcess(child);
  try {
    const { port, inspectorPort } = await workerd.listening;
    const listenMs = performance.now() - started;
    const url = `http://127.0.0.1:${port}`;
    const health = await fetch(`${url}/health`);
    await health.arrayBuffer();
    if (!health.ok) throw new Error(`workerd (${name}) answered /health with ${health.status}`);
    // The inspector names each worker by its service; the config's worker is the service "main".
    const inspectorUrl = inspectorPort ? `ws://127.0.0.1:${inspectorPort}/main` : undefined;
    return { url, pid: child.pid!, listenMs, firstResponseMs: performance.now() - started, inspectorUrl, stop };
  } catch (error) {
    await stop();
    throw new Error(`workerd (${name}): ${(error as Error).message}\n${log.join("\n")}`);
  }
}
