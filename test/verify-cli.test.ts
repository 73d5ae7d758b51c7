// ims-llm-verify as partners run it: the bundled command in a child process, against endpoints
// started here on 127.0.0.1. The same checks as test/conformance.test.ts, through the CLI.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checksFor, type CheckResult } from "../contracts/conformance/run-checks.ts";
import type { VerifyReport } from "../contracts/conformance/verify-report.ts";
import { brokenEndpoints } from "./support/broken-endpoints.ts";
import { runVerify, type VerifyRun } from "./support/run-verify.ts";
import { root } from "./support/paths.ts";
import { startEndpoint } from "./support/start-endpoint.ts";
import { startSampleServer } from "./support/start-sample-server.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

/**
 * Short, so the stalled stream is given up on quickly; every healthy answer here takes a few ms
 * on an idle machine, but 300 ms was passed by a first answer on a saturated one (load 12 on 2 cores).
 */
const STALL_TIMEOUT_MS = 1000;

const reportOf = (run: VerifyRun) => JSON.parse(run.stdout) as VerifyReport;
const statusOf = (report: VerifyReport, id: string) => report.results.find((result) => result.id === id)?.status;
const ids = (spec: "openai" | "alibaba") => checksFor(spec).map((check) => check.id);
const tempDir = mkdtempSync(join(tmpdir(), "ims-llm-verify-"));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

interface JunitCase {
  name: string;
  failure?: { message: string };
  skipped?: unknown;
  "system-out"?: string;
  properties: { property: { name: string; value: string }[] };
}

function readJunit(path: string): JunitCase[] {
  const xml = readFileSync(path, "utf8");
  expect(XMLValidator.validate(xml)).toBe(true);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => name === "testcase" || name === "property" }).parse(xml);
  return parsed.testsuites.testsuite.testcase as JunitCase[];
}

describe("against the worker", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker();
  });
  afterAll(() => worker?.dispose());

  it.each([
    ["openai", () => ["--url", `${worker.url}/v1`, "--api-key", TEST_API_KEY, "--model", "abc"]],
    ["alibaba", () => ["--url", `${worker.url}/`, "--token", TEST_IMS_TOKEN]],
  ] as const)("passes every %s check, with a JUnit report of one testcase per check", async (spec, args) => {
    const junit = join(tempDir, `worker-${spec}.xml`);
    const run = await runVerify(["--spec", spec, ...args(), "--json", "--junit", junit]);
    expect(run.code, run.stderr).toBe(0);
    const report = reportOf(run);
    expect(report.results.map((result) => result.id)).toEqual(ids(spec));
    expect(report.results.filter((result) => result.status !== "pass")).toEqual([]);
    const cases = readJunit(junit);
    expect(cases.map((testcase) => testcase.name)).toEqual(ids(spec));
    expect(cases.filter((testcase) => testcase.failure || testcase.skipped !== undefined)).toEqual([]);
  });

  it("prints a readable line per check, a figure where one was measured, and a summary", async () => {
    const run = await runVerify(["--spec", "openai", "--url", `${worker.url}/v1`, "--api-key", TEST_API_KEY]);
    expect(run.code, run.stderr).toBe(0);
    for (const id of ids("openai")) expect(run.stdout).toMatch(new RegExp(`^PASS {2}(MUST|SHOULD) +${id.replace(".", "\\.")} `, "m"));
    expect(run.stdout).toMatch(/openai\.first-token-time .*\[time to first token: \d+ ms\]/);
    expect(run.stdout).toMatch(/^17 checks: 17 passed, 0 warned \(SHOULD\), 0 failed \(MUST\), 0 skipped/m);
    expect(run.stdout).toMatch(/^OK: every MUST check passed \(exit 0\)$/m);
  });

  it("runs only the checks named by --only", async () => {
    const run = await runVerify(["--spec", "openai", "--url", `${worker.url}/v1`, "--api-key", TEST_API_KEY, "--only", "openai.done-once, openai.no-stall", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(reportOf(run).results.map((result) => [result.id, result.status])).toEqual([
      ["openai.done-once", "pass"],
      ["openai.no-stall", "pass"],
    ]);
  });

  it("warns, and still exits 0, when a SHOULD fails: a wrong key is accepted", async () => {
    const open = await startWorker({ API_KEYS: "", ALLOW_UNAUTHENTICATED: "true" });
    try {
      const run = await runVerify(["--spec", "openai", "--url", open.url, "--json"]);
      expect(run.code, run.stderr).toBe(0);
      expect(statusOf(reportOf(run), "openai.wrong-key")).toBe("warn");
    } finally {
      await open.dispose();
    }
  });
});

describe("against the documentation's aiohttp sample server", () => {
  let sample: Awaited<ReturnType<typeof startSampleServer>>;
  beforeAll(async () => {
    sample = await startSampleServer();
  });
  afterAll(() => sample?.close());

  it("passes Spec 2 (exit 0), with a warning for its text/plain answer", async () => {
    const junit = join(tempDir, "sample.xml");
    const run = await runVerify(["--spec", "alibaba", "--url", sample.url, "--json", "--junit", junit]);
    expect(run.code, run.stderr).toBe(0);
    const report = reportOf(run);
    const notPassed = report.results.filter((result) => result.status !== "pass").map((result) => [result.id, result.status]);
    expect(notPassed).toEqual([
      ["alibaba.json-content-type", "warn"],
      ["alibaba.wrong-token", "skip"],
      ["alibaba.error-body", "skip"],
    ]);
    expect(run.stderr).toMatch(/^WARN {2}SHOULD {2}alibaba\.json-content-type .*\n\s+not labelled as JSON\n\s+expected: application\/json\n\s+got: +text\/plain/m);
    const warned = readJunit(junit).find((testcase) => testcase.name === "alibaba.json-content-type")!;
    expect(warned.failure).toBeUndefined();
    expect(warned["system-out"]).toContain("WARNING (SHOULD)");
    expect(warned.properties.property).toContainEqual({ name: "status", value: "warn" });
  });

  it("warns that a wrong token is accepted when a token is given", async () => {
    const run = await runVerify(["--spec", "alibaba", "--url", sample.url, "--token", "t", "--only", "alibaba.wrong-token", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(statusOf(reportOf(run), "alibaba.wrong-token")).toBe("warn");
  });
});

describe("against broken servers", () => {
  it.each(Object.entries(brokenEndpoints))("catches a %s (exit 1)", async (_, broken) => {
    const endpoint = await startEndpoint(broken.handler);
    try {
      const url = broken.spec === "openai" ? `${endpoint.url}/v1` : `${endpoint.url}/`;
      const junit = join(tempDir, `${broken.caughtBy}.xml`);
      const run = await runVerify(["--spec", broken.spec, "--url", url, "--timeout-ms", String(STALL_TIMEOUT_MS), "--json", "--junit", junit]);
      expect(run.code, run.stderr).toBe(1);
      const caught = reportOf(run).results.find((result) => result.id === broken.caughtBy) as CheckResult;
      expect(caught.status, JSON.stringify(caught)).toBe("fail");
      expect(run.stderr).toMatch(new RegExp(`^FAIL {2}MUST {4}${broken.caughtBy.replace(".", "\\.")} `, "m"));
      expect(run.stderr).toMatch(new RegExp(`^FAILED: IMS would break on .*${broken.caughtBy.replace(".", "\\.")}`, "m"));
      expect(readJunit(junit).find((testcase) => testcase.name === broken.caughtBy)?.failure?.message).toBe(caught.detail);
    } finally {
      await endpoint.close();
    }
  });
});

describe("exit 2", () => {
  it("when nothing listens at the URL", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const run = await runVerify(["--spec", "openai", "--url", `http://127.0.0.1:${port}/v1`, "--json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: fetch failed: .*ECONNREFUSED/);
    expect(JSON.parse(run.stdout)).toMatchObject({ exitCode: 2 });
  });

  it.each([
    ["no arguments", []],
    ["no --url", ["--spec", "openai"]],
    ["an unknown spec", ["--spec", "grpc", "--url", "http://127.0.0.1:9/"]],
    ["a URL that is not http", ["--spec", "alibaba", "--url", "ftp://127.0.0.1/"]],
    ["a token for Spec 1", ["--spec", "openai", "--url", "http://127.0.0.1:9/", "--token", "t"]],
    ["a bad timeout", ["--spec", "openai", "--url", "http://127.0.0.1:9/", "--timeout-ms", "soon"]],
    ["an unknown check id", ["--spec", "alibaba", "--url", "http://127.0.0.1:9/", "--only", "openai.done-once"]],
    ["an unknown option", ["--spec", "openai", "--url", "http://127.0.0.1:9/", "--verbose"]],
  ])("on a usage error: %s", async (_, args) => {
    const run = await runVerify(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ims-llm-verify: .+\nRun ims-llm-verify --help for usage\.\n$/);
    expect(run.stdout).toBe("");
  });

  it("but --help is not an error", async () => {
    const run = await runVerify(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage:\n {2}ims-llm-verify --spec openai/);
  });
});

describe("from a checkout", () => {
  // Both run the TypeScript source through bin/ims-llm-verify.js, with the project's Node.
  it.each([
    ["npm run verify --", "npm", ["run", "--silent", "verify", "--"]],
    ["npx ims-llm-verify", "npx", ["--no-install", "ims-llm-verify"]],
  ])("%s works", async (_, command, args) => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(command, [...args, "--help"], { cwd: root, timeout: 60_000 }, (error, out) => (error ? reject(error) : resolve(out))),
    );
    expect(stdout).toMatch(/^Usage:\n {2}ims-llm-verify --spec openai/);
  });
});
