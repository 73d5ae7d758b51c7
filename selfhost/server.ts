// The self-hosted server: the worker bundle on workerd, behind the front socket on HOST:PORT.
// Built into one file beside its manifest (build-server.ts), it runs as `node server.js` in the
// container and from `npm run serve`. Every line it writes on stdout is one JSON object: the
// worker's request lines as the worker wrote them, workerd's own messages and the server's events
// wrapped as such. Exit status: 0 after SIGTERM or SIGINT, 2 for a bad server setting, 1 or
// workerd's own status when the runtime fails, so a platform restarts it.
import { type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { createInterface } from "node:readline";
import { constants } from "node:os";
import { startFrontServer, type FrontServer } from "./front-server.ts";
import { namesTheWorkerReads } from "./names-read.ts";
import { MANIFEST_FILE, type ServerManifest } from "./server-manifest.ts";
import { environmentWithEnvFile, parseServerSettings, SettingsError, type ServerSettings } from "./server-settings.ts";
import { renderWorkerdConfig, type Binding } from "./workerd-config.ts";
import { spawnWorkerd } from "./workerd-process.ts";

/** After the front has drained, workerd has nothing left in flight and exits at once; this bounds a runtime that does not. */
const RUNTIME_STOP_MS = 5_000;

const logLine = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const event = (level: "info" | "warn" | "error", name: string, fields: Record<string, unknown> = {}) => logLine({ level, event: name, ...fields });

/** Lines the worker writes are JSON already and pass as they are; workerd's own messages are wrapped. */
function forwardOutput(child: ChildProcess) {
  for (const [stream, level] of [
    [child.stdout, "info"],
    [child.stderr, "error"],
  ] as const) {
    createInterface({ input: stream! }).on("line", (line) => {
      if (line.startsWith("{")) {
        try {
          JSON.parse(line);
          return void process.stdout.write(`${line}\n`);
        } catch {
          // Not the worker's: wrapped below.
        }
      }
      if (line.trim()) logLine({ level, source: "workerd", message: line });
    });
  }
}

/**
 * The worker's bindings: each setting (and secret a MODELS table names) the environment sets, read by workerd from its own
 * environment (values never written to a file), else wrangler.toml's [vars] value, else none;
 * and the schemas directory as the assets binding.
 */
function bindings(manifest: ServerManifest, dir: string, env: NodeJS.ProcessEnv): Binding[] {
  const settings = namesTheWorkerReads(env).flatMap((name): Binding[] => {
    if (env[name] !== undefined) return [{ name, fromEnvironment: name }];
    const fallback = manifest.vars[name];
    return fallback === undefined ? [] : [{ name, text: fallback }];
  });
  return [...settings, { name: manifest.assets.binding, directory: join(dir, manifest.assets.directory) }];
}

/** GET /health straight from workerd: the worker parses its settings there, so a bad one shows at start. */
function health(socketPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: "/health", headers: { host: "localhost" } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (text: string) => (body += text));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

const exitStatusOf = (code: number | null, signal: NodeJS.Signals | null) => (signal ? 128 + (constants.signals[signal] ?? 0) : code || 1);

async function main(): Promise<number> {
  const dir = import.meta.dirname;
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8")) as ServerManifest;
  const { env, envFile } = environmentWithEnvFile(process.env, process.cwd());
  let settings: ServerSettings;
  try {
    settings = parseServerSettings(env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    event("error", "bad_setting", { detail: error.message });
    return 2;
  }

  // A private directory: the socket and config are nobody else's to reach or change.
  const runtimeDir = mkdtempSync(join(tmpdir(), "ims-llm-edge-"));
  const socketPath = join(runtimeDir, "workerd.sock");
  const configPath = join(runtimeDir, "workerd.capnp");
  writeFileSync(
    configPath,
    renderWorkerdConfig({
      configPath,
      modulePath: join(dir, manifest.module),
      compatibilityDate: manifest.compatibilityDate,
      compatibilityFlags: manifest.compatibilityFlags,
      bindings: bindings(manifest, dir, env),
      address: `unix:${socketPath}`,
      // As on Cloudflare, the worker reaches public addresses only, unless told its model is on a private network.
      allow: env.ALLOW_PRIVATE_UPSTREAM === "true" ? ["public", "private"] : ["public"],
    }),
  );
  const workerd = spawnWorkerd(isAbsolute(manifest.workerd) ? manifest.workerd : join(dir, manifest.workerd), configPath, { env });
  forwardOutput(workerd.child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => workerd.child.once("exit", (code, signal) => resolve({ code, signal })));
  const cleanUp = () => rmSync(runtimeDir, { recursive: true, force: true });

  let front: FrontServer;
  try {
    await workerd.listening;
    front = await startFrontServer(settings.host, settings.port, socketPath);
  } catch (error) {
    event("error", "start_failed", { detail: error instanceof Error ? error.message : String(error) });
    workerd.child.kill("SIGKILL");
    await exited;
    cleanUp();
    return 1;
  }
  const probe = await health(socketPath).catch((error: Error) => ({ status: 0, body: error.message }));
  event(probe.status === 200 ? "info" : "error", "listening", {
    url: front.url,
    envFile: envFile ?? null,
    graceMs: settings.graceMs,
    health: probe.status,
    ...(probe.status !== 200 && { detail: probe.body }),
  });

  let stopping = false;
  const stopped = new Promise<number>((resolve) => {
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal: stop now.
        front.destroy();
        workerd.child.kill("SIGKILL");
        return;
      }
      stopping = true;
      event("info", "draining", { signal, inFlight: front.inFlight(), graceMs: settings.graceMs });
      const cut = await front.drain(settings.graceMs);
      workerd.child.kill(cut ? "SIGKILL" : "SIGTERM");
      const force = setTimeout(() => workerd.child.kill("SIGKILL"), RUNTIME_STOP_MS);
      await exited;
      clearTimeout(force);
      event(cut ? "warn" : "info", "stopped", { cut });
      resolve(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  const crashed = exited.then(({ code, signal }) => {
    if (stopping) return new Promise<number>(() => undefined);
    event("error", "runtime_exited", { code, signal });
    front.destroy();
    return exitStatusOf(code, signal);
  });
  const status = await Promise.race([stopped, crashed]);
  cleanUp();
  return status;
}

process.exitCode = await main();
