import { alibabaChecks, alibabaProbes } from "./alibaba-checks.ts";
import type { Check, Finding, Level } from "./check.ts";
import { openaiChecks, openaiProbes } from "./openai-checks.ts";
import type { Target } from "./target.ts";

export type Status = "pass" | "fail" | "warn" | "skip";

export interface CheckResult extends Omit<Finding, "ok" | "skipped"> {
  id: string;
  level: Level;
  clause: string;
  title: string;
  status: Status;
  durationMs: number;
}

/** The checks for a target's spec, in report order. */
export const checksFor = (spec: Target["spec"]): readonly Check<never>[] => (spec === "openai" ? openaiChecks : alibabaChecks);

const statusOf = (level: Level, finding: Finding): Status =>
  finding.skipped ? "skip" : finding.ok ? "pass" : level === "MUST" ? "fail" : "warn";

/**
 * Runs the checks one after another (several share one request, made once) and reports each
 * as it finishes. A check that throws is a failure of that check, never of the run.
 */
export async function runChecks(target: Target, options: { only?: readonly string[]; onResult?: (result: CheckResult) => void } = {}): Promise<CheckResult[]> {
  const checks = (target.spec === "openai" ? openaiChecks : alibabaChecks) as Check<unknown>[];
  const probes = target.spec === "openai" ? openaiProbes(target) : alibabaProbes(target);
  const selected = options.only?.length ? checks.filter((check) => options.only!.includes(check.id)) : checks;
  const results: CheckResult[] = [];
  for (const check of selected) {
    const started = performance.now();
    let finding: Finding;
    try {
      finding = await check.run(probes);
    } catch (error) {
      finding = { ok: false, detail: `the check itself failed: ${(error as Error).message}` };
    }
    const { ok: _, skipped: __, ...rest } = finding;
    const result: CheckResult = {
      id: check.id,
      level: check.level,
      clause: check.clause,
      title: check.title,
      status: statusOf(check.level, finding),
      durationMs: Math.round(performance.now() - started),
      ...rest,
    };
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}
