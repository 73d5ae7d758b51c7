import type { CheckResult } from "./run-checks.ts";
import type { VerifyReport } from "./verify-report.ts";

const SPEC_NAMES = { openai: "Spec 1 (OpenAI chat completions, streamed)", alibaba: "Spec 2 (Alibaba Cloud form -> {\"Text\"})" } as const;
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
/** Where the details of a failure start, under the check's title. */
const INDENT = " ".repeat(8);

/** The human-readable report, written line by line as the checks finish. */
export const textReport = {
  header: (report: Pick<VerifyReport, "spec" | "endpoint">, checks: number) => `ims-llm-verify: ${SPEC_NAMES[report.spec]}\nPOST ${report.endpoint}, ${count(checks, "check")}\n`,

  /** One line per check; a failure or warning adds what was expected and what came. */
  result(result: CheckResult, idWidth: number): string {
    const figure = result.figure ? ` [${result.figure.name}: ${result.figure.value} ${result.figure.unit}]` : "";
    const head = `${result.status.toUpperCase().padEnd(4)}  ${result.level.padEnd(6)}  ${result.id.padEnd(idWidth)}  ${result.title}${figure}`;
    if (result.status === "pass" || result.status === "skip") return result.detail ? `${head} (${result.detail})` : head;
    const lines = [head, `${INDENT}${result.detail ?? "failed"}`];
    if (result.expected !== undefined) lines.push(`${INDENT}expected: ${result.expected}`);
    if (result.actual !== undefined) lines.push(`${INDENT}got:      ${result.actual}`);
    return lines.join("\n");
  },

  summary(report: VerifyReport): string {
    const { counts } = report;
    const tally = `${count(counts.total, "check")}: ${counts.pass} passed, ${counts.warn} warned (SHOULD), ${counts.fail} failed (MUST), ${counts.skip} skipped, in ${(report.durationMs / 1000).toFixed(1)} s`;
    const failed = report.results.filter((result) => result.status === "fail").map((result) => result.id);
    return failed.length
      ? `\n${tally}\nFAILED: IMS would break on ${failed.join(", ")} (exit 1)`
      : `\n${tally}\nOK: every MUST check passed${counts.warn ? ", see the warnings above" : ""} (exit 0)`;
  },
};
