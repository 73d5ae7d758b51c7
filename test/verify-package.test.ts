// ims-llm-verify as partners install it: the project packed with `npm pack`, the tarball
// installed into an empty project elsewhere (dependencies from the npm registry), and the
// installed bin run from there, where Node runs no TypeScript.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { root } from "./support/paths.ts";
import { runVerify } from "./support/run-verify.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

const exec = promisify(execFile);
/** Installing four dependencies from the registry; generous for a slow network. */
const INSTALL_TIMEOUT_MS = 180_000;

const dir = mkdtempSync(join(tmpdir(), "ims-llm-verify-package-"));
const app = join(dir, "app");
const installedBin = join(app, "node_modules", ".bin", "ims-llm-verify");
let packed: string[];
let worker: RunningWorker;

beforeAll(async () => {
  // --ignore-scripts: dist/ was just built by test/support/build-verify.ts with the same
  // `npm run build` that prepack runs; rebuilding it here would rewrite the bundle while
  // other test files are executing it.
  const { stdout } = await exec("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: root });
  const [{ filename, files }] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packed = files.map((file) => file.path);
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "partner-app", private: true }));
  await exec("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(dir, filename)], { cwd: app, timeout: INSTALL_TIMEOUT_MS });
  worker = await startWorker();
}, INSTALL_TIMEOUT_MS + 30_000);
afterAll(async () => {
  await worker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

it("ships the built command and the published schemas, and no TypeScript", () => {
  expect(packed).toEqual(expect.arrayContaining(["bin/ims-llm-verify.js", "dist/ims-llm-verify.js", "contracts/json-schema/openai-chat-chunk.json", "contracts/conformance/README.md"]));
  expect(packed.filter((path) => path.endsWith(".ts"))).toEqual([]);
});

it("depends at run time on exactly the packages the shipped command imports", () => {
  const bundle = readFileSync(join(root, "dist", "ims-llm-verify.js"), "utf8");
  const imported = new Set([...bundle.matchAll(/\bfrom\s*"([^"]+)"/g)].map(([, specifier]) => specifier!).filter((specifier) => !specifier.startsWith("node:")).map((specifier) => specifier.split("/")[0]!));
  const { dependencies } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  expect(Object.keys(dependencies).sort()).toEqual([...imported].sort());
});

it("installs nothing whose engines exclude the Node versions package.json promises", () => {
  const { engines } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } };
  const floor = Number(/^>=(\d+)$/.exec(engines.node)?.[1]);
  expect(floor, "engines.node is a single >=MAJOR").toBeGreaterThan(0);
  // Only ">=X[.Y[.Z]]" is read here; any other form counts as excluding, to be judged by hand.
  const admitsFloor = (wanted: string) => {
    const bound = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(wanted.trim());
    if (!bound) return false;
    const [major, minor, patch] = bound.slice(1).map((part) => Number(part ?? 0)) as [number, number, number];
    return major < floor || (major === floor && minor === 0 && patch === 0);
  };
  const modules = join(app, "node_modules");
  const installed = readdirSync(modules).flatMap((name) => (name.startsWith("@") ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name]));
  const excluding = installed.flatMap((name) => {
    const manifest = join(modules, name, "package.json");
    const wanted = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")) as { engines?: { node?: string } }).engines?.node : undefined;
    return wanted === undefined || wanted === "*" || admitsFloor(wanted) ? [] : [`${name} wants node ${wanted}`];
  });
  expect(excluding).toEqual([]);
});

it("runs from node_modules/.bin after npm install", async () => {
  const run = await runVerify(["--help"], installedBin);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^Usage:/);
});

it.each([
  ["openai", () => ["--url", `${worker.url}/v1`, "--api-key", TEST_API_KEY]],
  ["alibaba", () => ["--url", `${worker.url}/`, "--token", TEST_IMS_TOKEN]],
] as const)("passes the worker on %s from the installed package", async (spec, args) => {
  const run = await runVerify(["--spec", spec, ...args(), "--json"], installedBin);
  expect(run.code, run.stderr).toBe(0);
  const { results } = JSON.parse(run.stdout) as { results: { status: string }[] };
  expect(results.length).toBeGreaterThan(0);
  expect(results.every((result) => result.status === "pass")).toBe(true);
});
