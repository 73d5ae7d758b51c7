// The workerd config that serves one worker module: its compatibility settings, its bindings, the
// socket it listens on and the addresses its fetch() may reach. `npm run serve` and the bench both
// render it here, so the bench measures the worker as the self-hosted server runs it.
import { dirname, relative } from "node:path";

export type Binding =
  /** A value written into the config (wrangler.toml [vars]; the bench's settings). */
  | { name: string; text: string }
  /** A value workerd reads from its own environment when it starts, so secrets never touch a file. */
  | { name: string; fromEnvironment: string }
  /** A directory served as a fetcher, as Cloudflare serves [assets] to the ASSETS binding. */
  | { name: string; directory: string };

export interface WorkerdConfig {
  /** Where the config file is written: the module is embedded by a path relative to it. */
  configPath: string;
  modulePath: string;
  compatibilityDate: string;
  compatibilityFlags: readonly string[];
  bindings: readonly Binding[];
  /** The socket workerd listens on: "127.0.0.1:0" (the OS picks a port) or "unix:/path". */
  address: string;
  /** What the worker's fetch() may connect to (workerd's Network.allow): "public", "private", "local", CIDRs. */
  allow: readonly string[];
  /** Flags for V8, e.g. --perf-basic-prof so a profiler can name JIT frames. */
  v8Flags?: readonly string[];
}

const capnpString = (value: string) => JSON.stringify(value);
const list = (items: readonly string[]) => `[${items.join(", ")}]`;

/** A directory's service, named after the binding that reaches it. */
const directoryService = (name: string) => `directory-${name}`;

function binding(entry: Binding): string {
  const name = `name = ${capnpString(entry.name)}`;
  if ("text" in entry) return `(${name}, text = ${capnpString(entry.text)})`;
  if ("fromEnvironment" in entry) return `(${name}, fromEnvironment = ${capnpString(entry.fromEnvironment)})`;
  return `(${name}, service = ${capnpString(directoryService(entry.name))})`;
}

/** The config as Cap'n Proto text, for `workerd serve <file>`. */
export function renderWorkerdConfig(config: WorkerdConfig): string {
  const directories = config.bindings.flatMap((entry) =>
    "directory" in entry ? [`(name = ${capnpString(directoryService(entry.name))}, disk = (path = ${capnpString(entry.directory)}))`] : [],
  );
  const module = relative(dirname(config.configPath), config.modulePath);
  // Outbound TLS is checked against the system's CA store (SSL_CERT_FILE / SSL_CERT_DIR are honoured):
  // workerd refuses to start when there is none, so the container installs ca-certificates.
  const network = `(name = "outbound", network = (allow = ${list(config.allow.map(capnpString))}, tlsOptions = (trustBrowserCas = true)))`;
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = ${list([`(name = "main", worker = .worker)`, network, ...directories])},
  sockets = [(name = "http", address = ${capnpString(config.address)}, http = (), service = "main")],
  v8Flags = ${list((config.v8Flags ?? []).map(capnpString))},
);
const worker :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed ${capnpString(module)})],
  compatibilityDate = ${capnpString(config.compatibilityDate)},
  compatibilityFlags = ${list(config.compatibilityFlags.map(capnpString))},
  bindings = ${list(config.bindings.map(binding))},
  globalOutbound = "outbound",
);
`;
}
