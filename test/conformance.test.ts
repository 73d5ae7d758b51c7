// The contract suite: the same checks `ims-llm-verify` runs against partners' endpoints,
// here against the bundled worker in workerd. Every check must pass outright; a warning
// here is a defect of the reference implementation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alibabaChecks } from "../contracts/conformance/alibaba-checks.ts";
import { openaiChecks } from "../contracts/conformance/openai-checks.ts";
import { runChecks, type CheckResult } from "../contracts/conformance/run-checks.ts";
import type { Target } from "../contracts/conformance/target.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

let worker: RunningWorker;
const results = new Map<string, CheckResult>();

beforeAll(async () => {
  worker = await startWorker();
  const common = { fetch, timeoutMs: 5_000 } satisfies Partial<Target>;
  for (const result of await runChecks({ ...common, spec: "openai", url: `${worker.url}/v1`, apiKey: TEST_API_KEY, model: "abc" })) results.set(result.id, result);
  for (const result of await runChecks({ ...common, spec: "alibaba", url: `${worker.url}/`, token: TEST_IMS_TOKEN })) results.set(result.id, result);
});
afterAll(() => worker?.dispose());

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
