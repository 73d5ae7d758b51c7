// The container image, built from the Dockerfile and run: the contract suite passes against it,
// it runs as a non-root user, its HEALTHCHECK passes, and `stop` (SIGTERM) exits 0. Building the
// image takes minutes, so it runs only with CONTAINER_TEST=1; CONTAINER_ENGINE picks the command
// (default: podman, else docker) and CONTAINER_BASE the base image (default: the Dockerfile's).
//   CONTAINER_TEST=1 CONTAINER_ENGINE="podman --runtime runc --cgroup-manager=cgroupfs" \
//     CONTAINER_BASE=localhost/debian:bookworm-min npx vitest run test/container.test.ts
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alibabaChecks } from "../contracts/conformance/alibaba-checks.ts";
import { openaiChecks } from "../contracts/conformance/openai-checks.ts";
import { runChecks, type CheckResult } from "../contracts/conformance/run-checks.ts";
import { buildImage, defaultEngine } from "../selfhost/container.ts";

const TAG = "localhost/ims-llm-edge:test";
const API_KEY = "sk-container-test";
const IMS_TOKEN = "container-test-token";
/** A cold build on two busy cores: npm ci and, on a bare Debian base, Node and npm from Debian. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

const engine = process.env.CONTAINER_ENGINE?.split(" ").filter(Boolean) ?? defaultEngine();
const skipped = process.env.CONTAINER_TEST !== "1" ? "set CONTAINER_TEST=1 to build and run the image (it takes minutes)" : !engine ? "neither podman nor docker is installed" : undefined;

describe.skipIf(skipped !== undefined)(`container image${skipped ? ` (skipped: ${skipped})` : ""}`, () => {
  const run = (...args: string[]) => execFileSync(engine![0]!, [...engine!.slice(1), ...args], { encoding: "utf8" }).trim();
  let container: string;
  let url: string;
  const results = new Map<string, CheckResult>();

  beforeAll(async () => {
    expect(buildImage({ engine: engine!, base: process.env.CONTAINER_BASE, tag: TAG, network: "host" })).toBe(0);
    // Host networking and port 0: the server picks a free port and logs it.
    container = run("run", "-d", "--network", "host", "-e", "PORT=0", "-e", `API_KEYS=${API_KEY}`, "-e", `IMS_TOKENS=${IMS_TOKEN}`, TAG);
    for (let tries = 0; !url && tries < 100; tries++) {
      const listening = run("logs", container).split("\n").find((line) => line.includes('"listening"'));
      if (listening) url = (JSON.parse(listening) as { url: string }).url.replace("0.0.0.0", "127.0.0.1");
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const result of await runChecks({ fetch, timeoutMs: 5_000, spec: "openai", url: `${url}/v1`, apiKey: API_KEY, model: "abc" })) results.set(result.id, result);
    for (const result of await runChecks({ fetch, timeoutMs: 5_000, spec: "alibaba", url: `${url}/`, token: IMS_TOKEN })) results.set(result.id, result);
  }, BUILD_TIMEOUT_MS);
  afterAll(() => {
    if (container) run("rm", "-f", container);
  });

  it.each([...openaiChecks, ...alibabaChecks].map((check) => [check.id, check.level] as const))("%s [%s]", (id) => {
    expect(results.get(id)?.status, JSON.stringify(results.get(id))).toBe("pass");
  });

  it("is linux/amd64 and runs as a non-root user, with a HEALTHCHECK that passes", () => {
    expect(run("image", "inspect", TAG, "--format", "{{.Os}}/{{.Architecture}}")).toBe("linux/amd64");
    expect(run("exec", container, "id", "-u")).not.toBe("0");
    const healthcheck = JSON.parse(run("image", "inspect", TAG, "--format", "{{json .Config.Healthcheck.Test}}")) as string[];
    expect(healthcheck[0]).toBe("CMD");
    expect(healthcheck.join(" ")).toContain("/health");
    // The check itself, run in the container as the engine would run it (exit 0 or this throws), told the
    // port the server chose, since the container was started with PORT=0.
    run("exec", "-e", `PORT=${new URL(url).port}`, container, ...healthcheck.slice(1));
  });

  it("exits 0 on stop (SIGTERM)", () => {
    run("stop", "-t", "40", container);
    expect(run("inspect", container, "--format", "{{.State.ExitCode}}")).toBe("0");
    expect(run("logs", container)).toContain('"event":"stopped"');
  });
});
