import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { root } from "../test/support/paths.ts";

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

/** Seconds to wait for workerd to listen before giving up: a cold start on a busy machine takes a few. */
const START_TIMEOUT_MS = 30_000;
/** Lines of workerd's output kept to explain a failure. */
const KEPT_LOG_LINES = 40;

const capnpString = (value: string) => JSON.stringify(value);

/**
 * The workerd config: one worker on 127.0.0.1 (port chosen by the OS), whose outbound fetches
 * may reach loopback addresses only, so it can call the mock upstream and nothing else.
 */
function capnpConfig(options: WorkerdOptions): string {
  const bindings = Object.entries(options.vars).map(([name, text]) => `(name = ${capnpString(name)}, text = ${capnpString(text)})`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
  v8Flags = [${(options.v8Flags ?? []).map(capnpString).join(", ")}],
);
const worker :Workerd.Worker = (
  modules = [(name = ${capnpString(basename(options.modulePath))}, esModule = embed ${capnpString(basename(options.modulePath))})],
  compatibilityDate = ${capnpString(options.compatibilityDate)},
  compatibilityFlags = [${options.compatibilityFlags.map(capnpString).join(", ")}],
  bindings = [${bindings.join(", ")}],
  globalOutbound = "loopback",
);
`;
}

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
  writeFileSync(configPath, capnpConfig(options));
  const started = performance.now();
  // fd 3 is workerd's control channel: it reports each socket's port as JSON once listening.
  const inspectorArgs = options.inspector ? ["--inspector-addr=127.0.0.1:0"] : [];
  const child = spawn(join(root, "node_modules", ".bin", "workerd"), ["serve", configPath, "--control-fd=3", ...inspectorArgs], {
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  const log: string[] = [];
  keepTail(child.stdout!, log);
  keepTail(child.stderr!, log);
  const stop = () => stopProcess(child);
  try {
    const { port, inspectorPort } = await new Promise<{ port: number; inspectorPort: number | undefined }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`workerd (${name}) did not listen within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.once("exit", (code) => reject(new Error(`workerd (${name}) exited with ${code}`)));
      let port: number | undefined;
      let inspectorPort: number | undefined;
      createInterface({ input: child.stdio[3] as Readable }).on("line", (line) => {
        const message = JSON.parse(line) as { event?: string; socket?: string; port?: number };
        if (message.event === "listen" && message.socket === "http") port = message.port;
        if (message.event === "listen-inspector") inspectorPort = message.port;
        if (port && (inspectorPort || !options.inspector)) {
          clearTimeout(timer);
          resolve({ port, inspectorPort });
        }
      });
    });
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
    throw new Error(`${(error as Error).message}\n${log.join("\n")}`);
  }
}
