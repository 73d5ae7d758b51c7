// npm run container: builds the Dockerfile's image with podman or docker, handing npm's registry
// settings to the build as secrets (never build arguments, never a file in the image).
//   npm run container -- [--base IMAGE] [--tag TAG] [--engine "podman --runtime runc"] [--network host]
// The command is printed before it runs; the image is linux/amd64.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { projectRoot } from "./bundle-worker.ts";

export const DEFAULT_TAG = "localhost/ims-llm-edge:latest";

/** podman, else docker: the first one installed. */
export function defaultEngine(): string[] | undefined {
  for (const engine of ["podman", "docker"]) if (spawnSync(engine, ["--version"], { stdio: "ignore" }).status === 0) return [engine];
  return undefined;
}

const npmConfig = (key: string) => {
  const value = execFileSync("npm", ["config", "get", key], { encoding: "utf8" }).trim();
  return value === "null" || value === "undefined" ? "" : value;
};

/**
 * The build's npm settings, in a private directory: the registry npm uses here, the user's own
 * .npmrc after it (its tokens and scoped registries), and the CA bundle npm is told to trust.
 */
function registrySecrets(dir: string): string[] {
  const npmrc = join(dir, "npmrc");
  const user = join(homedir(), ".npmrc");
  const own = existsSync(user) ? readFileSync(user, "utf8").replace(/^\s*cafile\s*=.*$/gm, "") : "";
  writeFileSync(npmrc, `registry=${npmConfig("registry")}\n${own}\n`, { mode: 0o600 });
  const args = ["--secret", `id=npmrc,src=${npmrc}`];
  const cafile = npmConfig("cafile");
  if (cafile && existsSync(cafile)) args.push("--secret", `id=npm-ca,src=${cafile}`);
  return args;
}

export function buildImage(options: { engine: string[]; base?: string | undefined; tag: string; network?: string | undefined }): number {
  const dir = mkdtempSync(join(tmpdir(), "ims-llm-edge-build-"));
  try {
    const [engine, ...engineArgs] = options.engine;
    const args = [
      ...engineArgs,
      "build",
      "--platform",
      "linux/amd64",
      // podman writes OCI images by default, which have no HEALTHCHECK.
      ...(engine!.endsWith("podman") ? ["--format", "docker"] : []),
      ...(options.base ? ["--build-arg", `BASE_IMAGE=${options.base}`] : []),
      ...(options.network ? ["--network", options.network] : []),
      ...registrySecrets(dir),
      "-t",
      options.tag,
      projectRoot,
    ];
    console.log(`$ ${engine} ${args.join(" ")}`);
    return spawnSync(engine!, args, { stdio: "inherit" }).status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { base: { type: "string" }, tag: { type: "string", default: DEFAULT_TAG }, engine: { type: "string" }, network: { type: "string" } } });
  const engine = values.engine?.split(" ").filter(Boolean) ?? defaultEngine();
  if (!engine) {
    console.error("npm run container needs podman or docker on the PATH (or --engine).");
    process.exit(2);
  }
  process.exit(buildImage({ engine, base: values.base, tag: values.tag, network: values.network }));
}
