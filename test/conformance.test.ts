// The contract suite: the same checks `ims-llm-verify` runs against partners' endpoints, here
// against the bundled worker on two homes: in workerd through Miniflare, and self-hosted as
// `npm run serve` runs it (the front socket and workerd from npm, settings from the environment).
// Every check must pass outright; a warning here is a defect of the reference implementation.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alibabaChecks } from "../contracts/conformance/alibaba-checks.ts";
import { openaiChecks } from "../contracts/conformance/openai-checks.ts";
import { runChecks, type CheckResult } from "../contracts/conformance/run-checks.ts";
import type { Target } from "../contracts/conformance/target.ts";
import { root } from "./support/paths.ts";
import { startServer } from "./support/start-server.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN } from "./support/start-worker.ts";

const homes = {
  "Miniflare": async () => {
    const worker = await startWorker();
    return { url: worker.url, dispose: () => worker.dispose() };
  },
  // What `npm run serve` runs (npm itself would not pass SIGTERM on to it), building as it does.
  "npm run serve": async () => {
    const server = await startServer({ API_KEYS: TEST_API_KEY, IMS_TOKENS: TEST_IMS_TOKEN }, { file: process.execPath, args: [join(root, "selfhost", "serve.ts")], cwd: root });
    return { url: server.url, dispose: async () => void (await server.stop()) };
  },
};

describe.each(Object.entries(homes))("%s", (_, start) => {
  let home: Awaited<ReturnType<typeof start>>;
  const results = new Map<string, CheckResult>();

  beforeAll(async () => {
    home = await start();
    const common = { fetch, timeoutMs: 5_000 } satisfies Partial<Target>;
    for (const result of await runChecks({ ...common, spec: "openai", url: `${home.url}/v1`, apiKey: TEST_API_KEY, model: "abc" })) results.set(result.id, result);
    for (const result of await runChecks({ ...common, spec: "alibaba", url: `${home.url}/`, token: TEST_IMS_TOKEN })) results.set(result.id, result);
  });
  afterAll(() => home?.dispose());

  describe.each([
    ["Spec 1 (OpenAI)", openaiChecks],
    ["Spec 2 (Alibaba Cloud)", alibabaChecks],
  ] as const)("%s", (_, checks) => {
    it.each(checks.map((check) => [check.id, check.level] as const))("%s [%s]", (id) => {
      const result = results.get(id);
      expect(result, `${id} did not run`).toBeDefined();
      expect(result!.status, JSON.stringify(result)).toBe("pass");
    });
  });
});
