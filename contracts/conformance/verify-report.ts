import type { CheckResult, Status } from "./run-checks.ts";
import { endpointOf } from "./reach-target.ts";
import type { Target } from "./target.ts";

/** What `--json` prints and the JUnit writer reads. */
export interface VerifyReport {
  spec: Target["spec"];
  /** As given on the command line. */
  url: string;
  /** What the checks called. */
  endpoint: string;
  timeoutMs: number;
  startedAt: string;
  durationMs: number;
  counts: Record<Status, number> & { total: number };
  /** 0 every MUST passed, 1 a MUST failed. */
  exitCode: 0 | 1;
  results: CheckResult[];
}

export function verifyReport(target: Omit<Target, "fetch">, startedAt: Date, results: CheckResult[]): VerifyReport {
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0, total: results.length };
  for (const result of results) counts[result.status]++;
  return {
    spec: target.spec,
    url: target.url,
    endpoint: endpointOf(target),
    timeoutMs: target.timeoutMs,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    counts,
    exitCode: counts.fail ? 1 : 0,
    results,
  };
}
